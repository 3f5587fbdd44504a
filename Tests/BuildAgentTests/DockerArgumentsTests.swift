import Foundation
import Testing
@testable import GyreDocker

/// What reaches the `docker` command line (which `ps` shows on the builder).
@Suite struct DockerArgumentsTests {
    let scratch = NSTemporaryDirectory() + "gyre-docker-args-\(UUID().uuidString.lowercased())"

    @Test func variablesAreNamedOnTheCommandLineAndValuedInTheClientEnvironment() throws {
        let secrets = try SecretEnvironment([("TOKEN", "s3cr3t"), ("MULTI", "a\nb"), ("TOKEN", "later")],
                                            scratchDirectory: scratch)
        defer { secrets.remove() }
        #expect(secrets.arguments == ["--env", "TOKEN", "--env", "MULTI"])
        #expect(secrets.clientEnvironment["TOKEN"] == "later")
        #expect(secrets.clientEnvironment["MULTI"] == "a\nb")
        #expect(secrets.file == nil)
        #expect(!secrets.arguments.joined().contains("s3cr3t"))
    }

    @Test func variablesTheClientObeysGoThroughAnOwnerOnlyFile() throws {
        let secrets = try SecretEnvironment([("DOCKER_HOST", "tcp://job-value"), ("LD_PRELOAD", "/x.so"), ("A", "1")],
                                            scratchDirectory: scratch)
        let file = try #require(secrets.file)
        #expect(secrets.arguments == ["--env", "A", "--env-file", file])
        #expect(secrets.clientEnvironment["DOCKER_HOST"] != "tcp://job-value")
        #expect(secrets.clientEnvironment["LD_PRELOAD"] != "/x.so")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "DOCKER_HOST=tcp://job-value\nLD_PRELOAD=/x.so\n")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        secrets.remove()
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test func aLineBreakInAClientVariableIsRefused() {
        #expect(throws: DockerError.self) {
            try SecretEnvironment([("DOCKER_CONFIG", "a\nb")], scratchDirectory: scratch)
        }
        #expect(throws: DockerError.self) {
            try SecretEnvironment([("A=B", "x")], scratchDirectory: scratch)
        }
    }

    @Test func runArgumentsCarryLimitsHostsMountsAndLabelsButNoValues() {
        let spec = Docker.ContainerSpec(
            name: "gyre-x-1", image: "img:1", network: "none", entrypoint: "/bin/sh", command: ["-c", "idle"],
            user: "nobody", environment: [("SECRET", "v")],
            mounts: [Docker.Mount(host: "/h", container: "/c"), Docker.Mount(host: "/bin/c", container: "/usr/local/bin/c", readOnly: true)],
            labels: ["gyre.job": "j", "gyre.builder": "b"], workingDirectory: "/w", hosts: [("db", "127.0.0.1")],
            cpus: 2, memoryBytes: 4 << 30)
        let arguments = spec.runArguments(environment: ["--env", "SECRET"])
        let line = arguments.joined(separator: " ")
        #expect(line.hasPrefix("run --detach --pull never --name gyre-x-1 --network none --entrypoint /bin/sh"))
        #expect(line.contains("--volume /h:/c --volume /bin/c:/usr/local/bin/c:ro"))
        #expect(line.contains("--add-host db:127.0.0.1"))
        #expect(line.contains("--cpus 2.0 --memory 4294967296b --memory-swap 4294967296b"))
        #expect(line.contains("--label gyre.builder=b --label gyre.job=j"))
        #expect(line.hasSuffix("img:1 -c idle"))
        #expect(!line.contains("SECRET=v"))
    }
}
