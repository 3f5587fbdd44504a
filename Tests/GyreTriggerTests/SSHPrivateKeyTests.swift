import Foundation
import Testing
@testable import FrontendService

/// Fingerprints as `ssh-keygen -l -E md5|sha256 -f KEY` printed them for these throw-away keys.
@Suite struct SSHPrivateKeyTests {
    static let ed25519 = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
        QyNTUxOQAAACC+9kIBPbtlI26XHnLFa/z82QVYIIQAaxxGMuFfFzgNoAAAAIhlESQRZREk
        EQAAAAtzc2gtZWQyNTUxOQAAACC+9kIBPbtlI26XHnLFa/z82QVYIIQAaxxGMuFfFzgNoA
        AAAEBPrzVnJscmovkk64frRC/a7fq44Sd9NHy5H5QvPY2Bc772QgE9u2UjbpcecsVr/PzZ
        BVgghABrHEYy4V8XOA2gAAAAAAECAwQF
        -----END OPENSSH PRIVATE KEY-----
        """

    static let rsa = """
        -----BEGIN RSA PRIVATE KEY-----
        MIICWwIBAAKBgQCeKmiFnyFRjLzSr5HaRkU0EPafmejSBRz0Ic2/Vs86u86BaNGc
        8vxXmWjQr6mK0KkdzzZzTYvKBxNb4wUk7C57MdkNkCd3pMdLc/KBBXlGJxq++Nna
        Elwpqxyd8LopgWuoJ4GTlev2BagtKoPHw6tVePNRRTAL3gIlT1nHdZ02IQIDAQAB
        AoGAD2tI90XVJLMYsV1mVaYmFvZUZKjHdroC4ZXuDeozl6E5d4o1bRyPFycgfb+y
        QpMm+X366/CyYQahj4KpPLk9qqOjqCYryNculPaVhmBNG5rBgbha28FA0LhhV7vT
        i7qHWeVjEVklKp/WSwMw8TeMIiunE8tqbsE32AE5jdVTkiUCQQDR5ExogKHNMz9q
        sPQyHU+PSkxboNZKBTKsmXEIVRQd0z3x43JsllRcIMOYZQAYoqy5ypWX/xsdUa8h
        j337ZELrAkEAwOku3s8k5joBptPNlXk3oVifaqw1V+I0iDoBTlvisu20WOt5GqYP
        FxSfANUTsv5VK++oOS7FF3RZcl2eMBQwIwJAWLkPj3EodCxAl2H7p596PRDkHCtt
        ydZOqGUoQaRtH3pnCfPiL4KQYG09IRM4qjFBoDvBZoHgvVEFHcOhNn4YRwJAdQO8
        24gY4NHkuJYXSQi7NtJz+Je2z7U1mkBdFHPmAhTv5VQIJKL/2kc236FgDp35eeoo
        R29YPA7mRtoEnzNPswJAReMMdTeslE4DYGcM8HWc/+PLm8BD6f+J8LhZeGjW8cO5
        WqmRi2yw2MoLbDIAMgI7BFC64WsGBuGXErvT9fwElQ==
        -----END RSA PRIVATE KEY-----
        """

    static let ecdsa = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIHsFY0zRggds96yAphKxrtFFP5w+0x7oSlaW7MBQgI8coAoGCCqGSM49
        AwEHoUQDQgAEVkoalPxvt+1BZIlDl+ZgmJJ3UWfGfFAqRhkHWHGW89AOonlIS+wj
        1uASrE76CCJZlGr2NLjNuJUFFZd/hJ8IqQ==
        -----END EC PRIVATE KEY-----
        """

    @Test(arguments: [
        (ed25519, "ssh-ed25519", "ef:96:51:84:77:22:e6:d4:fb:fd:37:c6:ed:3a:4a:32",
         "SHA256:xA2V3tyYCQ0blvhUabZRjvXGlDFN6D1iBjifPjx30r4"),
        (rsa, "ssh-rsa", "67:cd:ee:ef:c8:18:33:a7:1e:31:16:60:f9:42:45:04",
         "SHA256:vCa6ln7Lfhqk6Bp02wYBCE+Y/kXYCrV28oIzMwD3V8w"),
        (ecdsa, "ecdsa-sha2-nistp256", "cf:80:95:e9:29:83:a4:94:f4:55:f0:1b:2d:b8:11:9b",
         "SHA256:4MCL2x3sTyH8C+nr9WkSz2d3V4EbduuRzajTPYWFOmY"),
    ])
    func fingerprintsMatchSSHKeygen(key: String, type: String, md5: String, sha256: String) throws {
        let parsed = try SSHPrivateKey(pem: key)
        #expect(parsed.type == type)
        #expect(parsed.md5Fingerprint == md5)
        #expect(parsed.sha256Fingerprint == sha256)
        #expect(parsed.publicKey.hasPrefix(type + " "))
    }

    @Test func rejectsEncryptedAndUnknownKeys() {
        let encrypted = """
            -----BEGIN RSA PRIVATE KEY-----
            Proc-Type: 4,ENCRYPTED
            DEK-Info: AES-128-CBC,0011

            AAAA
            -----END RSA PRIVATE KEY-----
            """
        #expect(throws: SSHPrivateKey.Failure.self) { try SSHPrivateKey(pem: encrypted) }
        #expect(throws: SSHPrivateKey.Failure.self) { try SSHPrivateKey(pem: "ssh-rsa AAAA user@host") }
        #expect(throws: SSHPrivateKey.Failure.self) {
            try SSHPrivateKey(pem: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----")
        }
    }
}
