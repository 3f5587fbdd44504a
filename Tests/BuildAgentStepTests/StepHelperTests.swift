import Foundation
import GyreModel
import Testing
@testable import BuildAgentService

/// The pure parts of the built-in steps: path handling, redirection, SSH key staging.
struct StepHelperTests {
    struct FakeShell: JobShell {
        var homeDirectory = "/home/circleci"
        var workingDirectory = "/home/circleci/project"
        var cacheRoot = "/"

        func execute(_ argv: [String], input: String?, stdout: String?,
                     output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 { 0 }
    }

    @Test func configPathsResolveAgainstHomeAndWorkingDirectory() {
        let shell = FakeShell()
        #expect(shell.resolve("~") == "/home/circleci")
        #expect(shell.resolve("~/.cache/pip") == "/home/circleci/.cache/pip")
        #expect(shell.resolve("/tmp/x") == "/tmp/x")
        #expect(shell.resolve("vendor") == "/home/circleci/project/vendor")
        #expect(shell.resolve("./vendor") == "/home/circleci/project/vendor")
        #expect(shell.resolve(".") == "/home/circleci/project")
    }

    @Test func cachePathsAreRelativeToTheCacheRoot() {
        #expect(SaveCacheStep.relative("/home/circleci/.cache", to: "/") == "home/circleci/.cache")
        #expect(SaveCacheStep.relative("/work/job-1/.deps", to: "/work/job-1") == ".deps")
        #expect(SaveCacheStep.relative("/work/job-1", to: "/work/job-1") == ".")
        #expect(SaveCacheStep.relative("/etc/hostname", to: "/work/job-1") == nil)
        #expect(SaveCacheStep.relative("/work/job-10/x", to: "/work/job-1") == nil)
        #expect(SaveCacheStep.relative("/work/job-1/../../etc", to: "/work/job-1") == nil)
    }

    @Test func artifactDestinationsLoseHomeAndSlashes() {
        #expect(StoreArtifactsStep.clean("/tmp/artifacts/") == "tmp/artifacts")
        #expect(StoreArtifactsStep.clean("~/reports") == "reports")
        #expect(StoreArtifactsStep.clean("./coverage") == "coverage")
        #expect(StoreArtifactsStep.clean("~") == "")
        #expect(StoreArtifactsStep.clean(".") == "")
    }

    @Test func redirectionWrapsOnlyWhenAsked() {
        #expect(Redirect.argv(["tar", "-c"], input: nil, stdout: nil) == ["tar", "-c"])
        let both = Redirect.argv(["tar", "-x"], input: "/in", stdout: "/out")
        #expect(both.prefix(2) == ["/bin/sh", "-c"])
        #expect(Array(both.suffix(4)) == ["/in", "/out", "tar", "-x"])
        let inputOnly = Redirect.argv(["cat"], input: "/in", stdout: nil)
        #expect(!inputOnly[2].contains(">"))
        #expect(Array(inputOnly.suffix(3)) == ["/in", "/dev/null", "cat"])
    }

    @Test func redirectionReallyMovesBytesThroughFiles() async throws {
        let directory = NSTemporaryDirectory() + "gyre-redirect-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("hello through a file\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/in"))
        let shell = HostWorkspace(jobDirectory: directory, configuredDirectory: "~")
        let code = try await shell.execute(["tr", "a-z", "A-Z"], input: "\(directory)/in", stdout: "\(directory)/out",
                                           output: { _ in })
        #expect(code == 0)
        #expect(try String(contentsOfFile: "\(directory)/out", encoding: .utf8) == "HELLO THROUGH A FILE\n")
    }

    @Test func sshKeysAreStagedOwnerOnlyWithAHostEntryEach() throws {
        let directory = NSTemporaryDirectory() + "gyre-ssh-stage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = [
            StorageClient.SSHKey(fingerprint: "aa:bb:cc", fingerprintSHA256: "SHA256:xyz", hostname: "git.example.com",
                                 privateKey: "KEY-ONE"),
            StorageClient.SSHKey(fingerprint: "dd:ee", fingerprintSHA256: nil, hostname: "", privateKey: "KEY-TWO\n"),
        ]
        let names = try AddSSHKeysStep.stage(keys, in: directory, sshDirectory: "/root/.ssh")
        #expect(names == ["id_rsa_aabbcc", "id_rsa_ddee"])
        #expect(try String(contentsOfFile: "\(directory)/id_rsa_aabbcc", encoding: .utf8) == "KEY-ONE\n")
        let mode = try FileManager.default.attributesOfItem(atPath: "\(directory)/id_rsa_ddee")[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let config = try String(contentsOfFile: "\(directory)/\(AddSSHKeysStep.configFragment)", encoding: .utf8)
        #expect(config == "Host git.example.com\n  IdentityFile /root/.ssh/id_rsa_aabbcc\nHost *\n  IdentityFile /root/.ssh/id_rsa_ddee\n")
    }

    @Test func fingerprintsMatchInEverySpelling() {
        let key = StorageClient.SSHKey(fingerprint: "aa:bb:cc", fingerprintSHA256: "SHA256:xyz", hostname: nil,
                                       privateKey: "")
        #expect(AddSSHKeysStep.matches(key, "aa:bb:cc"))
        #expect(AddSSHKeysStep.matches(key, "MD5:AA:BB:CC"))
        #expect(AddSSHKeysStep.matches(key, "aabbcc"))
        #expect(AddSSHKeysStep.matches(key, "SHA256:xyz"))
        #expect(!AddSSHKeysStep.matches(key, "SHA256:other"))
        #expect(!AddSSHKeysStep.matches(key, "aa:bb:cd"))
    }
}
