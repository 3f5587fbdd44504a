import GyreAMQP
import Testing

@Suite("AMQPConfig URL parsing")
struct AMQPConfigTests {
    @Test func parsesFullURLWithRootVhost() throws {
        let c = try AMQPConfig(url: "amqp://guest:guest@127.0.0.1:5672/")
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 5672)
        #expect(c.user == "guest")
        #expect(c.password == "guest")
        #expect(c.vhost == "/")
    }

    @Test func emptyPathMeansRootVhostAndDefaultsApply() throws {
        let c = try AMQPConfig(url: "amqp://rabbit.example")
        #expect(c.host == "rabbit.example")
        #expect(c.port == 5672)
        #expect(c.user == "guest")
        #expect(c.password == "guest")
        #expect(c.vhost == "/")
    }

    @Test(arguments: ["amqp://u:p@h:5673/%2f", "amqp://u:p@h:5673/%2F"])
    func percentEncodedSlashIsRootVhost(url: String) throws {
        let c = try AMQPConfig(url: url)
        #expect(c.vhost == "/")
        #expect(c.port == 5673)
    }

    @Test func decodesVhostUserAndPassword() throws {
        let c = try AMQPConfig(url: "amqp://ci%20bot:p%40ss%3Aword@[::1]:5671/gyre%2Fprod?heartbeat=10")
        #expect(c.user == "ci bot")
        #expect(c.password == "p@ss:word")
        #expect(c.host == "::1")
        #expect(c.port == 5671)
        #expect(c.vhost == "gyre/prod")
    }

    @Test func descriptionHidesPassword() throws {
        let c = try AMQPConfig(url: "amqp://user:topsecret@h:5672/v")
        #expect(!c.description.contains("topsecret"))
        #expect(c.description.contains("user"))
    }

    @Test(arguments: [
        "http://guest:guest@localhost:5672/",
        "amqps://localhost/",
        "localhost:5672",
        "amqp://localhost:notaport/",
        "amqp://localhost:70000/",
        "amqp://localhost/a/b",
        "amqp://localhost/%zz",
    ])
    func rejectsBadURLs(url: String) {
        let error = #expect(throws: AMQPError.self) {
            try AMQPConfig(url: url)
        }
        #expect(error?.code == .invalidURL)
    }

    @Test func badURLErrorDoesNotLeakPassword() {
        do {
            _ = try AMQPConfig(url: "amqp://user:hunter2@localhost:bad/")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(!error.message.contains("hunter2"))
        }
    }
}
