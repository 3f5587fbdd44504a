import Foundation
import GyreJUnit
import Testing

/// JUnit reports from Tests/Fixtures/junit as test tools write them.
@Suite struct JUnitParserTests {
    static func fixture(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/junit/\(name)")
    }

    @Test func readsASingleSuiteWithFailuresAndSkips() throws {
        let cases = try JUnitParser.parse(contentsOf: Self.fixture("rspec.xml"))
        #expect(cases.count == 4)
        #expect(cases.map(\.result) == [.success, .failure, .skipped, .success])
        #expect(cases[0] == JUnitTestCase(classname: "spec.models.user_spec", name: "User is valid",
                                          file: "./spec/models/user_spec.rb", result: .success, runTime: 0.12, message: nil))
        let failure = try #require(cases[1].message)
        #expect(failure.hasPrefix("expected true, got false\n"))
        #expect(failure.contains("# ./spec/models/user_spec.rb:12"))
        #expect(cases[1].runTime == 0.25)
        #expect(cases[2].message == nil)
        // Entities are decoded; a grouped number ("1,000.5") is read as 1000.5.
        #expect(cases[3].name == "Post <html> & more")
        #expect(cases[3].runTime == 1000.5)
    }

    @Test func readsNestedSuitesAndFillsMissingAttributes() throws {
        let cases = try JUnitParser.parse(contentsOf: Self.fixture("nested.xml"))
        #expect(cases.map(\.name) == ["adds 1 + 2", "divides by zero", "no time attribute", "skipped with message"])
        // The file comes from the nearest suite that has one; the classname from the suite's name.
        #expect(cases[0].file == "src/math.test.js")
        #expect(cases[1].file == "src/math.test.js")
        #expect(cases[1].classname == "inner")
        #expect(cases[1].result == .error)
        #expect(cases[1].message == "TypeError: boom\n    at divide (src/math.js:3:9)" )
        #expect(cases[2].file == "")
        #expect(cases[2].runTime == 0)
        #expect(cases[3].result == .skipped)
        #expect(cases[3].message == "not on linux")
    }

    @Test func anEmptyReportHasNoTests() throws {
        #expect(try JUnitParser.parse(contentsOf: Self.fixture("empty-suite.xml")).isEmpty)
    }

    @Test func aMalformedReportIsRefusedWithTheParsersMessageAndLine() throws {
        do {
            _ = try JUnitParser.parse(contentsOf: Self.fixture("malformed.xml"))
            Issue.record("malformed XML was accepted")
        } catch {
            #expect(error.line >= 3)
            #expect(error.message.contains("tag mismatch"), "\(error)")
        }
    }

    @Test(arguments: ["not xml at all", "<testsuite><testcase name=\"a\">", "<testsuite></testsuite>trailing<",
                      "<testsuite name=\"a & b\"/>", "<testsuite name=\"x\" name=\"y\"/>"])
    func textThatIsNotWellFormedXMLIsRefused(text: String) {
        #expect(throws: JUnitParseError.self) { try JUnitParser.parse(Data(text.utf8)) }
    }

    @Test func aFailureOutranksASkip() throws {
        let xml = """
            <testsuite><testcase name="t" classname="c"><skipped/><failure message="m"/></testcase></testsuite>
            """
        let cases = try JUnitParser.parse(Data(xml.utf8))
        #expect(cases.map(\.result) == [.failure])
        #expect(cases.first?.message == "m")
    }

    @Test func hugeMessagesAreCut() throws {
        let body = String(repeating: "x", count: JUnitParser.messageLimit * 2)
        let xml = "<testsuite><testcase name=\"t\"><failure>\(body)</failure></testcase></testsuite>"
        let cases = try JUnitParser.parse(Data(xml.utf8))
        let message = try #require(cases.first?.message)
        #expect(message.utf8.count <= JUnitParser.messageLimit)
        #expect(message.utf8.count > 0)
    }
}
