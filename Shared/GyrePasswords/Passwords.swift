import Crypto
import CryptoExtras
import Foundation

/// Local account passwords, hashed with scrypt (swift-crypto's CryptoExtras)
/// and a random salt per password. Stored as
/// `scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>` so that the cost
/// can rise later without breaking stored hashes.
public enum Passwords {
    public static let logN = 15, r = 8, p = 1
    public static let minimumLength = 8

    public static func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = try derive(password, salt: salt, logN: logN, r: r, p: p)
        return "scrypt$\(logN)$\(r)$\(p)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// True when `password` matches `stored` (compared in constant time); false for a malformed hash.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
              (10...20).contains(logN), (1...16).contains(r), (1...4).contains(p),
              let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
              let key = try? derive(password, salt: Array(salt), logN: logN, r: r, p: p), key.count == expected.count
        else { return false }
        return zip(key, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// What is wrong with a new password, if anything.
    public static func problem(_ password: String) -> String? {
        if password.count < minimumLength { return "a password needs at least \(minimumLength) characters" }
        if password.count > 1024 { return "a password may have at most 1024 characters" }
        return nil
    }

    static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: 1 << logN, blockSize: r, parallelism: p,
                                           maxMemory: 128 * (1 << logN) * r * p + (1 << 20))
        return key.withUnsafeBytes { Array($0) }
    }
}
