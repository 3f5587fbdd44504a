import GyreRedis
import Testing

@Suite("RedisConfig URL parsing")
struct RedisConfigTests {
    @Test func parsesPlainURL() throws {
        let c = try RedisConfig(url: "redis://127.0.0.1:6379/0")
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 6379)
        #expect(c.database == 0)
        #expect(c.password == nil)
        #expect(c.username == nil)
    }

    @Test func defaults() throws {
        let c = try RedisConfig(url: "redis://cache.internal")
        #expect(c.host == "cache.internal")
        #expect(c.port == 6379)
        #expect(c.database == 0)
    }

    @Test func passwordOnlyAndDatabase() throws {
        let c = try RedisConfig(url: "redis://:s%3Acret@redis:6380/3")
        #expect(c.password == "s:cret")
        #expect(c.username == nil)
        #expect(c.port == 6380)
        #expect(c.database == 3)
        #expect(!c.description.contains("cret"))
    }

    @Test func userAndPassword() throws {
        let c = try RedisConfig(url: "redis://gyre:pw@redis/1")
        #expect(c.username == "gyre")
        #expect(c.password == "pw")
        #expect(c.database == 1)
    }

    @Test(arguments: [
        "http://localhost:6379/0",
        "redis://localhost:port/0",
        "redis://localhost/db1",
        "redis://localhost:0/",
        "rediss://localhost/",
    ])
    func rejectsBadURLs(url: String) {
        let error = #expect(throws: RedisError.self) {
            try RedisConfig(url: url)
        }
        #expect(error?.code == .invalidURL)
    }
}
