import GyreRedis
import Testing

/// Against the real server at GYRE_TEST_REDIS_URL. Keys use a per-run prefix and are deleted.
@Suite("Redis against redis-server")
struct RedisIntegrationTests {
    let prefix = TestEnv.unique("redis") + ":"

    private func client() throws -> RedisClient {
        RedisClient(config: try TestEnv.redisConfig(), logger: TestEnv.logger)
    }

    @Test func setGetRoundTripIsBinarySafe() async throws {
        let redis = try client()
        let key = prefix + "bin"
        let value: [UInt8] = [0x00, 0x01, 0xFF, 0x00, 0x0D, 0x0A, 0x24, 0x00] + Array(0...255)
        let set = try await redis.command(bytes: [Array("SET".utf8), Array(key.utf8), value])
        #expect(set == .status("OK"))
        let get = try await redis.command(["GET", key])
        #expect(get == .bulk(value))
        #expect(try await redis.command(["GET", prefix + "missing"]) == .null)
        #expect(try await redis.command(["DEL", key]).int == 1)
        #expect(redis.isConnected)
    }

    @Test func setRangeAndGetRange() async throws {
        let redis = try client()
        let key = prefix + "log"
        #expect(try await redis.command(["SET", key, "Hello World"]) == .status("OK"))
        #expect(try await redis.command(["SETRANGE", key, "6", "Redis"]) == .integer(11))
        #expect(try await redis.command(["GETRANGE", key, "0", "4"]).string == "Hello")
        #expect(try await redis.command(["GET", key]).string == "Hello Redis")
        // Writing past the end pads with zero bytes.
        #expect(try await redis.command(bytes: [Array("SETRANGE".utf8), Array(key.utf8), Array("14".utf8), [0x00, 0x41]]).int == 16)
        #expect(try await redis.command(["GETRANGE", key, "11", "-1"]) == .bulk([0, 0, 0, 0, 0x41]))
        #expect(try await redis.command(["STRLEN", key]).int == 16)
        _ = try await redis.command(["DEL", key])
    }

    @Test func pipelineReturnsRepliesInOrder() async throws {
        let redis = try client()
        let key = prefix + "counter"
        let replies = try await redis.pipeline([
            [Array("SET".utf8), Array(key.utf8), Array("41".utf8)],
            [Array("INCR".utf8), Array(key.utf8)],
            [Array("GET".utf8), Array(key.utf8)],
        ])
        #expect(replies == [.status("OK"), .integer(42), .bulk(Array("42".utf8))])
        #expect(replies[2].int == 42)
        #expect(try await redis.pipeline([]) == [])
        _ = try await redis.command(["DEL", key])
    }

    @Test func serverErrorsAreReturnedAsErrorValues() async throws {
        let redis = try client()
        let key = prefix + "list"
        #expect(try await redis.command(["RPUSH", key, "a", "b"]) == .integer(2))
        let reply = try await redis.command(["GET", key])
        guard case .error(let message) = reply else {
            Issue.record("expected an error reply, got \(reply)")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        let thrown = #expect(throws: RedisError.self) { try reply.checked() }
        #expect(thrown?.code == .serverError)
        // The connection stays usable after a server error, also inside a pipeline.
        let replies = try await redis.pipeline([
            [Array("INCR".utf8), Array(key.utf8)],
            [Array("LRANGE".utf8), Array(key.utf8), Array("0".utf8), Array("-1".utf8)],
        ])
        #expect(replies.count == 2)
        if case .error = replies[0] {} else { Issue.record("expected WRONGTYPE for INCR, got \(replies[0])") }
        #expect(replies[1] == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
        #expect(try await redis.command(["NOSUCHCOMMAND"]).isError)
        _ = try await redis.command(["DEL", key])
    }

    @Test func closedPortFailsWithConnectionFailed() async throws {
        var config = try TestEnv.redisConfig()
        config.host = "127.0.0.1"
        config.port = 1
        let redis = RedisClient(config: config, logger: TestEnv.logger)
        let error = await #expect(throws: RedisError.self) { try await redis.command(["GET", "x"]) }
        #expect(error?.code == .connectionFailed)
        let pingError = await #expect(throws: RedisError.self) { try await redis.ping() }
        #expect(pingError?.code == .connectionFailed)
        #expect(!redis.isConnected)
    }

    @Test func survivesServerSideClientKill() async throws {
        let redis = try client()
        let admin = try client()
        try await redis.ping()
        let id = try #require(try await redis.command(["CLIENT", "ID"]).int)
        #expect(try await admin.command(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))
        // The very next command reconnects transparently.
        try await redis.ping()
        let newId = try #require(try await redis.command(["CLIENT", "ID"]).int)
        #expect(newId != id)
        #expect(redis.isConnected)
    }

    @Test func concurrentCommandsAreSerialized() async throws {
        let redis = try client()
        let key = prefix + "concurrent"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { _ = try await redis.command(["INCR", key]) }
            }
            try await group.waitForAll()
        }
        #expect(try await redis.command(["GET", key]).int == 50)
        _ = try await redis.command(["DEL", key])
    }
}

extension RedisValue {
    var isError: Bool {
        if case .error = self { return true }
        return false
    }
}
