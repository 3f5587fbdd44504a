import Foundation

extension LocalSystem {
    /// The operator's credential on the internal storage API (GYRE_INTERNAL_TOKEN) of this
    /// local installation, kept in `<run dir>/internal.token` (mode 0600).
    public var internalToken: String {
        let path = "\(configuration.runDirectory)/internal.token"
        if let saved = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           saved.count == 40 {
            return saved
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<20).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try? FileManager.default.createDirectory(atPath: configuration.runDirectory, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        return token
    }

    /// The key-encryption key file of this local installation (`<run dir>/kek`, 32 random bytes in base64,
    /// mode 0600), made the first time: every service gets it as GYRE_KEK_FILE.
    public var kekFile: String {
        let path = "\(configuration.runDirectory)/kek"
        if !FileManager.default.fileExists(atPath: path) {
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try? FileManager.default.createDirectory(atPath: configuration.runDirectory, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: Data((Data(bytes).base64EncodedString() + "\n").utf8),
                                           attributes: [.posixPermissions: 0o600])
        }
        return path
    }

    /// Where `adminToken()` keeps the local installation's admin token (mode 0600).
    public var adminTokenPath: String { "\(configuration.runDirectory)/admin.token" }

    /// Where `adminToken()` keeps the admin's password for the web UI's sign-in (mode 0600).
    public var adminPasswordPath: String { "\(configuration.runDirectory)/admin.password" }

    /// Makes sure the local installation has an admin user (`login`, the
    /// first user) and returns an API token for it, creating one with
    /// `gyre admin` the first time and keeping it in `adminTokenPath`.
    public func adminToken(login: String = "admin") throws -> String {
        if let saved = try? String(contentsOfFile: adminTokenPath, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !saved.isEmpty,
           (try? String(contentsOfFile: adminTokenPath + ".db", encoding: .utf8)) == configuration.postgresURL {
            return saved
        }
        let gyre = "\(configuration.binDirectory)/gyre"
        // A password for the web UI, kept beside the token (never on a command line: through standard input).
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let password = String((0..<16).map { _ in alphabet.randomElement(using: &generator)! })
        _ = try Self.capture([gyre, "admin", "create-user", login, "--admin", "--password-stdin",
                              "--postgres-url", configuration.postgresURL], input: password + "\n")
        FileManager.default.createFile(atPath: adminPasswordPath, contents: Data((password + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        let token = try Self.capture([gyre, "admin", "create-token", login, "--name", "local",
                                      "--postgres-url", configuration.postgresURL])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count == 40 else { throw LocalSystemError("gyre admin create-token printed no token: \(token)") }
        FileManager.default.createFile(atPath: adminTokenPath, contents: Data((token + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        // Which database the token belongs to: a new database needs a new token.
        try configuration.postgresURL.write(toFile: adminTokenPath + ".db", atomically: true, encoding: .utf8)
        return token
    }

    /// Runs a command and returns its standard output; throws with its output when it fails.
    static func capture(_ argv: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw LocalSystemError("\(argv.prefix(3).joined(separator: " ")) failed: \(text)\(String(decoding: problems, as: UTF8.self))")
        }
        return text
    }
}
