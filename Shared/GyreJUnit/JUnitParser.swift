import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One test case from a JUnit XML report.
public struct JUnitTestCase: Sendable, Equatable {
    public enum Result: String, Sendable {
        case success, failure, error, skipped
    }

    public var classname: String
    public var name: String
    public var file: String
    public var result: Result
    /// Seconds.
    public var runTime: Double
    /// The failure, error or skip message (attribute and body text), if any.
    public var message: String?

    public init(classname: String, name: String, file: String, result: Result, runTime: Double, message: String?) {
        self.classname = classname
        self.name = name
        self.file = file
        self.result = result
        self.runTime = runTime
        self.message = message
    }
}

/// A report that is not well-formed XML; `message` is the parser's own text with the line.
public struct JUnitParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var line: Int

    public var description: String { "line \(line): \(message)" }
}

/// Reads JUnit XML as test tools write it: `<testsuites>` or `<testsuite>` at the
/// root, suites nested in suites, `<testcase name classname file time>` with a
/// `<failure>`, `<error>` or `<skipped>` child. Missing attributes are tolerated:
/// a case without `classname` takes its suite's name, one without `file` the
/// nearest suite's `file`, a missing or unreadable `time` counts as 0.
public enum JUnitParser {
    /// Longest message kept per test case (stack traces can be huge).
    public static let messageLimit = 64 * 1024

    public static func parse(_ data: Data) throws(JUnitParseError) -> [JUnitTestCase] {
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        let collector = Collector()
        parser.delegate = collector
        let finished = parser.parse()
        // On Linux, parse() can return true after an error; the delegate hears of every one.
        if let failure = collector.failure {
            throw failure
        }
        guard finished, parser.parserError == nil else {
            let code = (parser.parserError as NSError?)?.code ?? -1
            throw JUnitParseError(message: Self.describe(code: code), line: parser.lineNumber)
        }
        return collector.cases
    }

    public static func parse(contentsOf url: URL) throws(JUnitParseError) -> [JUnitTestCase] {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw JUnitParseError(message: "cannot read the report: \(error.localizedDescription)", line: 0)
        }
        return try parse(data)
    }

    /// libxml2's words for its common error codes (FoundationXML passes the code, not the text).
    static func describe(code: Int) -> String {
        switch code {
        case 3: return "start tag expected, '<' not found"
        case 4: return "the document is empty or does not start with an element"
        case 5: return "extra content at the end of the document, or it ends early"
        case 9: return "invalid character"
        case 23: return "an entity reference is missing its ';'"
        case 26: return "undeclared entity (use &amp; for a literal &)"
        case 38: return "unescaped '<' in an attribute value"
        case 39, 43: return "an attribute value must start with a quote"
        case 40, 44: return "an attribute value is not closed"
        case 41: return "an attribute has no value"
        case 42: return "an attribute is given twice"
        case 45: return "a comment is not closed"
        case 63: return "a CDATA section is not closed"
        case 65: return "a space is required"
        case 68: return "a name is required"
        case 73: return "'>' expected"
        case 74: return "'</' expected"
        case 75: return "'=' expected after an attribute name"
        case 76: return "opening and ending tag mismatch"
        case 77: return "premature end of data in a tag"
        case 85: return "the document is not well balanced"
        case 86: return "extra content at the end of the document"
        default: return "the file is not well-formed XML (XML parser error \(code))"
        }
    }

    /// Parses a `time` attribute: "1.5", "1,234.5" (some reporters group digits), "" → 0.
    static func seconds(_ text: String?) -> Double {
        guard let text else { return 0 }
        let cleaned = text.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces)
        guard let value = Double(cleaned), value.isFinite, value >= 0 else { return 0 }
        return value
    }

    /// The delegate: a stack of open suites and the case being read.
    final class Collector: NSObject, XMLParserDelegate {
        struct Suite {
            var name: String?
            var file: String?
        }

        struct Open {
            var classname: String
            var name: String
            var file: String
            var runTime: Double
            var result: JUnitTestCase.Result = .success
            var message: String?
            /// Body text of the failure/error/skipped element being read.
            var text: String = ""
            var inOutcome = false
        }

        var suites: [Suite] = []
        var current: Open?
        var cases: [JUnitTestCase] = []
        /// The first error the parser reported.
        var failure: JUnitParseError?

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
            guard failure == nil else { return }
            failure = JUnitParseError(message: JUnitParser.describe(code: (parseError as NSError).code), line: parser.lineNumber)
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, validationErrorOccurred validationError: Error) {
            self.parser(parser, parseErrorOccurred: validationError)
        }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes: [String: String] = [:]) {
            switch elementName {
            case "testsuite", "testsuites":
                suites.append(Suite(name: attributes["name"], file: attributes["file"] ?? attributes["filepath"]))
            case "testcase":
                let suiteName = suites.last(where: { $0.name != nil })?.name
                let suiteFile = suites.last(where: { $0.file != nil })?.file
                current = Open(classname: attributes["classname"] ?? attributes["class"] ?? suiteName ?? "",
                               name: attributes["name"] ?? "",
                               file: attributes["file"] ?? attributes["filepath"] ?? suiteFile ?? "",
                               runTime: JUnitParser.seconds(attributes["time"]))
            case "failure", "error", "skipped":
                guard var open = current else { return }
                let result: JUnitTestCase.Result = elementName == "failure" ? .failure
                    : elementName == "error" ? .error : .skipped
                // A failure outranks a skip when a report lists both.
                if open.result == .success || open.result == .skipped { open.result = result }
                if let message = attributes["message"], !message.isEmpty, open.message == nil {
                    open.message = message
                }
                open.inOutcome = true
                open.text = ""
                current = open
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard current?.inOutcome == true, current!.text.utf8.count < JUnitParser.messageLimit else { return }
            current!.text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            self.parser(parser, foundCharacters: String(decoding: CDATABlock, as: UTF8.self))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?) {
            switch elementName {
            case "testsuite", "testsuites":
                if !suites.isEmpty { suites.removeLast() }
            case "failure", "error", "skipped":
                guard var open = current, open.inOutcome else { return }
                open.inOutcome = false
                let body = open.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !body.isEmpty {
                    if let message = open.message, message != body, !body.hasPrefix(message) {
                        open.message = message + "\n" + body
                    } else {
                        open.message = body
                    }
                }
                current = open
            case "testcase":
                guard let open = current else { return }
                var message = open.message
                if let text = message, text.utf8.count > JUnitParser.messageLimit {
                    message = String(decoding: Array(text.utf8.prefix(JUnitParser.messageLimit)), as: UTF8.self)
                }
                cases.append(JUnitTestCase(classname: open.classname, name: open.name, file: open.file,
                                           result: open.result, runTime: open.runTime, message: message))
                current = nil
            default:
                break
            }
        }
    }
}
