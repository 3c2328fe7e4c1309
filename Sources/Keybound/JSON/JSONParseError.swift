/// Why the strict JSON reader refused a document.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Kind: String, Sendable, Equatable {
        case unexpectedEnd = "unexpected end of input"
        case unexpectedCharacter = "unexpected character"
        case invalidUTF8 = "invalid UTF-8"
        case invalidEscape = "invalid escape sequence"
        case unpairedSurrogate = "unpaired UTF-16 surrogate"
        case controlCharacterInString = "unescaped control character in string"
        case invalidNumber = "invalid number"
        case nonFiniteNumber = "number is not finite"
        case duplicateMember = "duplicate member name"
        case tooDeep = "nesting too deep"
        case trailingData = "data after the JSON value"
    }

    /// What went wrong.
    public let kind: Kind
    /// The byte offset where it was found.
    public let offset: Int
    /// Extra detail, such as the duplicated member name.
    public let detail: String?

    init(_ kind: Kind, at offset: Int, detail: String? = nil) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        if let detail { return "\(kind.rawValue) '\(detail)' at byte \(offset)" }
        return "\(kind.rawValue) at byte \(offset)"
    }
}
