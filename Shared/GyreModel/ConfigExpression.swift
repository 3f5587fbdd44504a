import Foundation

/// CircleCI's expression language (job `filters: <expression>`), as its
/// reference implementation (CircleCI-Public/expr) defines it:
///
///     expression -> or;  or -> and ("or" and)*;  and -> equality ("and" equality)*
///     equality -> comparison (("==" | "!=" | "starts-with" | "matches") comparison)*
///     comparison -> unary ((">=" | ">" | "<=" | "<") unary)*
///     unary -> ("not" | "!") unary | primary
///     primary -> true | false | NUMBER | "STRING" | /PATTERN/ | IDENTIFIER | "(" expression ")"
///
/// Identifiers (`pipeline.git.branch`, `pipeline.parameters.x`) are looked up
/// in an environment; an unknown one is an error, a known one without a value
/// is `undefined` (not equal to anything, false where a truth value is needed).
public struct ConfigExpression: Sendable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case pattern(String)
        case undefined

        public var isTrue: Bool {
            switch self {
            case .boolean(let value): return value
            case .undefined: return false
            case .string(let text): return !text.isEmpty
            case .integer(let number): return number != 0
            case .pattern: return true
            }
        }
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var position: Int
        public var description: String { "\(message) (at character \(position + 1))" }
    }

    indirect enum Node: Sendable {
        case literal(Value)
        case variable(String, Int)
        case not(Node)
        case binary(String, Node, Node, Int)
    }

    let root: Node

    public static func parse(_ text: String) throws(Failure) -> ConfigExpression {
        var parser = Parser(tokens: try Scanner.scan(text))
        let root = try parser.or()
        guard parser.atEnd else {
            throw Failure(message: "unexpected \"\(parser.peek.lexeme)\" after a complete expression", position: parser.peek.position)
        }
        return ConfigExpression(root: root)
    }

    /// The expression's truth in `environment` (nil values are defined but undefined).
    public func isTrue(in environment: [String: Value]) throws(Failure) -> Bool {
        try Self.evaluate(root, environment).isTrue
    }

    static func evaluate(_ node: Node, _ environment: [String: Value]) throws(Failure) -> Value {
        switch node {
        case .literal(let value):
            return value
        case .variable(let name, let position):
            guard let value = environment[name] else {
                throw Failure(message: "unknown variable \(name)", position: position)
            }
            return value
        case .not(let operand):
            return .boolean(!(try evaluate(operand, environment).isTrue))
        case .binary(let op, let left, let right, let position):
            if op == "or" {
                let l = try evaluate(left, environment)
                return l.isTrue ? l : try evaluate(right, environment)
            }
            if op == "and" {
                let l = try evaluate(left, environment)
                return l.isTrue ? try evaluate(right, environment) : l
            }
            let l = try evaluate(left, environment)
            let r = try evaluate(right, environment)
            if l == .undefined || r == .undefined { return .undefined }
            switch op {
            case "==": return .boolean(l == r)
            case "!=": return .boolean(l != r)
            case "starts-with":
                guard case .string(let text) = l, case .string(let prefix) = r else {
                    throw Failure(message: "starts-with needs string operands", position: position)
                }
                return .boolean(text.hasPrefix(prefix))
            case "matches":
                guard case .string(let text) = l, case .pattern(let pattern) = r else {
                    throw Failure(message: "matches needs a string and a /pattern/", position: position)
                }
                guard let regex = try? NSRegularExpression(pattern: pattern) else {
                    throw Failure(message: "invalid pattern /\(pattern)/", position: position)
                }
                let range = NSRange(text.startIndex..., in: text)
                return .boolean(regex.firstMatch(in: text, range: range) != nil)
            default:
                guard case .integer(let a) = l, case .integer(let b) = r else {
                    throw Failure(message: "\(op) needs numeric operands", position: position)
                }
                switch op {
                case ">=": return .boolean(a >= b)
                case ">": return .boolean(a > b)
                case "<=": return .boolean(a <= b)
                default: return .boolean(a < b)
                }
            }
        }
    }

    // MARK: - Scanning

    struct Token: Sendable {
        enum Kind: Sendable, Equatable { case op, string, number, pattern, identifier, keyword, leftParen, rightParen, end }
        var kind: Kind
        var lexeme: String
        var position: Int
    }

    enum Scanner {
        static func scan(_ text: String) throws(Failure) -> [Token] {
            let chars = Array(text)
            var tokens: [Token] = []
            var i = 0
            while i < chars.count {
                let c = chars[i]
                let start = i
                if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
                switch c {
                case "(": tokens.append(Token(kind: .leftParen, lexeme: "(", position: i)); i += 1
                case ")": tokens.append(Token(kind: .rightParen, lexeme: ")", position: i)); i += 1
                case "=", "!", ">", "<":
                    if i + 1 < chars.count, chars[i + 1] == "=" {
                        tokens.append(Token(kind: .op, lexeme: String([c, "="]), position: i))
                        i += 2
                    } else if c == ">" || c == "<" {
                        tokens.append(Token(kind: .op, lexeme: String(c), position: i))
                        i += 1
                    } else if c == "!" {
                        tokens.append(Token(kind: .keyword, lexeme: "not", position: i))
                        i += 1
                    } else {
                        throw Failure(message: "incomplete operator \"=\" (use ==)", position: i)
                    }
                case "\"":
                    i += 1
                    var value = ""
                    var closed = false
                    while i < chars.count {
                        if chars[i] == "\\", i + 1 < chars.count { value.append(chars[i + 1]); i += 2; continue }
                        if chars[i] == "\"" { closed = true; i += 1; break }
                        value.append(chars[i]); i += 1
                    }
                    guard closed else { throw Failure(message: "unterminated string", position: start) }
                    tokens.append(Token(kind: .string, lexeme: value, position: start))
                case "/":
                    i += 1
                    var value = ""
                    var closed = false
                    while i < chars.count {
                        if chars[i] == "\\", i + 1 < chars.count, chars[i + 1] == "/" { value.append("/"); i += 2; continue }
                        if chars[i] == "/" { closed = true; i += 1; break }
                        value.append(chars[i]); i += 1
                    }
                    guard closed else { throw Failure(message: "unterminated pattern", position: start) }
                    tokens.append(Token(kind: .pattern, lexeme: value, position: start))
                default:
                    if c.isNumber {
                        while i < chars.count, chars[i].isNumber { i += 1 }
                        tokens.append(Token(kind: .number, lexeme: String(chars[start..<i]), position: start))
                    } else if c.isLetter {
                        while i < chars.count, chars[i].isLetter || chars[i].isNumber || "_-.".contains(chars[i]) { i += 1 }
                        let word = String(chars[start..<i])
                        guard !word.hasSuffix("."), !word.contains("..") else {
                            throw Failure(message: "malformed name \(word)", position: start)
                        }
                        let keywords: Set<String> = ["and", "or", "not", "true", "false", "starts-with", "matches"]
                        tokens.append(Token(kind: keywords.contains(word) ? .keyword : .identifier, lexeme: word, position: start))
                    } else {
                        throw Failure(message: "unexpected character \"\(c)\"", position: i)
                    }
                }
            }
            tokens.append(Token(kind: .end, lexeme: "end of the expression", position: chars.count))
            return tokens
        }
    }

    // MARK: - Parsing

    struct Parser {
        var tokens: [Token]
        var index = 0

        var peek: Token { tokens[index] }
        var atEnd: Bool { peek.kind == .end }

        mutating func take(_ lexemes: Set<String>) -> Token? {
            guard (peek.kind == .op || peek.kind == .keyword), lexemes.contains(peek.lexeme) else { return nil }
            defer { index += 1 }
            return peek
        }

        mutating func or() throws(Failure) -> Node {
            var node = try and()
            while let op = take(["or"]) { node = .binary("or", node, try and(), op.position) }
            return node
        }

        mutating func and() throws(Failure) -> Node {
            var node = try equality()
            while let op = take(["and"]) { node = .binary("and", node, try equality(), op.position) }
            return node
        }

        mutating func equality() throws(Failure) -> Node {
            var node = try comparison()
            while let op = take(["==", "!=", "starts-with", "matches"]) {
                node = .binary(op.lexeme, node, try comparison(), op.position)
            }
            return node
        }

        mutating func comparison() throws(Failure) -> Node {
            var node = try unary()
            while let op = take([">=", ">", "<=", "<"]) { node = .binary(op.lexeme, node, try unary(), op.position) }
            return node
        }

        mutating func unary() throws(Failure) -> Node {
            if take(["not"]) != nil { return .not(try unary()) }
            return try primary()
        }

        mutating func primary() throws(Failure) -> Node {
            let token = peek
            index += 1
            switch token.kind {
            case .keyword where token.lexeme == "true": return .literal(.boolean(true))
            case .keyword where token.lexeme == "false": return .literal(.boolean(false))
            case .number: return .literal(.integer(Int(token.lexeme) ?? 0))
            case .string: return .literal(.string(token.lexeme))
            case .pattern: return .literal(.pattern(token.lexeme))
            case .identifier: return .variable(token.lexeme, token.position)
            case .leftParen:
                let inner = try or()
                guard peek.kind == .rightParen else {
                    throw Failure(message: "expected \")\"", position: peek.position)
                }
                index += 1
                return inner
            default:
                throw Failure(message: "expected a value, found \"\(token.lexeme)\"", position: token.position)
            }
        }
    }
}
