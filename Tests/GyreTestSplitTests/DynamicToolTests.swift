import GyreTestSplit
import Testing

/// `circleci-agent path-filter` and `circleci-agent continue` (pure parts).
@Suite struct PathFilterTests {
    let changed = ["service-a/main.go", "service-a/README.md", "docs/index.md", "service-b"]

    @Test func linesWhoseRegexMatchesAWholeChangedPathSetTheirParameter() throws {
        let outcome = try PathFilter.apply(mapping: """
            # comments and blank lines are skipped
            service-a/.* build-a true

            service-b/.* build-b true
            docs/.*\\.md docs "changed"
            service-c/.* build-c true
            service-a build-partial true
            """, changed: changed, configPath: ".circleci/continue_config.yml")
        // service-b/.* needs a slash: the file "service-b" does not match; "service-a" alone matches no whole path.
        #expect(outcome.json == "{\"build-a\":true,\"docs\":\"changed\"}")
        #expect(outcome.parameters == ["build-a", "docs"])
        #expect(outcome.configFiles == [".circleci/continue_config.yml"])
    }

    @Test func laterLinesWinAndConfigFilesAreCollected() throws {
        let outcome = try PathFilter.apply(mapping: """
            service-a/.* level 1 .circleci/a.yml
            docs/.* level 2 .circleci/docs.yml
            nothing/.* level 3 .circleci/none.yml
            """, changed: changed, configPath: ".circleci/continue_config.yml")
        #expect(outcome.json == "{\"level\":2}")
        #expect(outcome.configFiles == [".circleci/a.yml", ".circleci/docs.yml"])
    }

    @Test func badMappingsSayWhatIsWrong() {
        #expect(throws: PathFilter.Failure.self) { try PathFilter.apply(mapping: "", changed: changed, configPath: "c") }
        #expect(throws: PathFilter.Failure.self) { try PathFilter.apply(mapping: "a b", changed: changed, configPath: "c") }
        #expect(throws: PathFilter.Failure.self) {
            try PathFilter.apply(mapping: "a/.* x true\nb/.* y true z", changed: changed, configPath: "c")
        }
        #expect(throws: PathFilter.Failure.self) { try PathFilter.apply(mapping: "a/.* x yes", changed: changed, configPath: "c") }
        #expect(throws: PathFilter.Failure.self) { try PathFilter.apply(mapping: "a/(.* x true", changed: changed, configPath: "c") }
    }
}

@Suite struct ContinuationRequestTests {
    @Test func theBodyCarriesKeyConfigurationAndParameters() throws {
        let body = try Continuation.body(key: "k\"1", configuration: "version: 2.1\n\tjobs: {}\n", parameters: " {\"deploy\": true} ")
        #expect(body == "{\"continuation-key\":\"k\\\"1\",\"configuration\":\"version: 2.1\\n\\tjobs: {}\\n\",\"parameters\":{\"deploy\": true}}")
        #expect(try Continuation.body(key: "k", configuration: "c", parameters: "").hasSuffix("\"parameters\":{}}"))
        #expect(try Continuation.body(key: "k", configuration: "c", parameters: "{}", more: ["d", "e\n"])
                    .hasSuffix("\"parameters\":{},\"configurations\":[\"d\",\"e\\n\"]}"))
        #expect(throws: Continuation.Failure.self) { try Continuation.body(key: "k", configuration: "c", parameters: "[1]") }
        #expect(throws: Continuation.Failure.self) { try Continuation.body(key: "k", configuration: "c", parameters: "{\"a\": 1") }
    }

    @Test func responsesAreReadAndReported() throws {
        let raw = Array("HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"message\":\"already \\\"continued\\\"\"}".utf8)
        let parsed = try #require(Continuation.parseResponse(raw))
        #expect(parsed.status == 409)
        let outcome = Continuation.outcome(status: parsed.status, body: parsed.body)
        #expect(outcome.exitCode == 1)
        #expect(outcome.message == "Continuation failed (HTTP 409): already \"continued\"\n")
        let chunked = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"message\r\nc\r\n\":\"Success\"}\r\n0\r\n\r\n".utf8)
        let ok = try #require(Continuation.parseResponse(chunked))
        #expect(ok.status == 200 && ok.body == "{\"message\":\"Success\"}")
        #expect(Continuation.outcome(status: 200, body: ok.body) == ("Continuation successful: Success\n", 0))
        #expect(Continuation.parseResponse(Array("garbage".utf8)) == nil)
    }
}
