import Foundation
import GyreModel
import GyreProcess

extension AddSSHKeysStep {
    /// Installs the project's SSH keys (all, or those with the given fingerprints) in `~/.ssh`.
    /// Key material never reaches the step's output.
    func run(in context: StepContext) async throws {
        let keys = try await context.storage.sshKeys(project: context.project, fingerprints: fingerprints)
        let missing = fingerprints.filter { wanted in !keys.contains { Self.matches($0, wanted) } }
        guard missing.isEmpty else {
            throw StepFailure("no SSH key with fingerprint \(missing.joined(separator: ", ")) is configured for this project; add it in the project's SSH keys settings")
        }
        guard !keys.isEmpty else {
            context.say("This project has no SSH keys; nothing installed")
            return
        }
        try await install(keys, in: context)
    }

    func install(_ keys: [StorageClient.SSHKey], in context: StepContext) async throws {
        let staging = context.scratchFile("ssh")
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let files = try Self.stage(keys, in: staging, sshDirectory: context.shell.homeDirectory + "/.ssh")
        let archive = context.scratchFile("ssh.tar")
        let result = try await ProcessRunner().run("tar", ["-cf", archive, "-C", staging, "--"] + files + [Self.configFragment])
        guard result.exitCode == 0 else { throw StepFailure("cannot pack the SSH keys (tar: \(result.text))") }
        let script = #"""
            umask 077; mkdir -p "$1" && chmod 700 "$1" && tar -xf - -C "$1" \
              && cat "$1/\#(Self.configFragment)" >> "$1/config" && rm -f "$1/\#(Self.configFragment)" && chmod 600 "$1/config"
            """#
        let code = try await context.shell.execute(["/bin/sh", "-c", script, "gyre-ssh", context.shell.homeDirectory + "/.ssh"],
                                                   input: archive, stdout: nil, output: context.handle.output)
        guard code == 0 else { throw StepFailure("cannot write the SSH keys to ~/.ssh in the job (exit \(code))") }
        for key in keys {
            context.say("Installed key \(key.fingerprint) for \(key.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? "all hosts")")
        }
    }

    static let configFragment = ".gyre-ssh-config"

    /// Writes `id_rsa_<fingerprint>` files (0600) and the `config` fragment; returns the key file names.
    static func stage(_ keys: [StorageClient.SSHKey], in directory: String, sshDirectory: String) throws -> [String] {
        var names: [String] = []
        var config = ""
        for key in keys {
            let name = "id_rsa_" + key.fingerprint.replacingOccurrences(of: ":", with: "")
            var material = key.privateKey
            if !material.hasSuffix("\n") { material += "\n" }
            let path = "\(directory)/\(name)"
            guard FileManager.default.createFile(atPath: path, contents: Data(material.utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw StepFailure("cannot stage the SSH key \(key.fingerprint) on the agent")
            }
            names.append(name)
            let host = key.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? "*"
            config += "Host \(host)\n  IdentityFile \(sshDirectory)/\(name)\n"
        }
        FileManager.default.createFile(atPath: "\(directory)/\(configFragment)", contents: Data(config.utf8),
                                       attributes: [.posixPermissions: 0o600])
        return names
    }

    /// By MD5 (`aa:bb:...`, `MD5:aa:bb:...`, any case) or SHA256 (`SHA256:...`) fingerprint.
    static func matches(_ key: StorageClient.SSHKey, _ wanted: String) -> Bool {
        let text = wanted.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("SHA256:") { return key.fingerprintSHA256 == text }
        let md5 = text.hasPrefix("MD5:") ? String(text.dropFirst(4)) : text
        return key.fingerprint.replacingOccurrences(of: ":", with: "").lowercased()
            == md5.replacingOccurrences(of: ":", with: "").lowercased()
    }
}
