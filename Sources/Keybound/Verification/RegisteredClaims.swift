import Foundation

/// The registered and profile claims Keybound checks, read with their types enforced.
///
/// A registered claim of the wrong type is `malformed_claims`, never "absent".
struct RegisteredClaims: Sendable {
    var issuer: String?
    var subject: String?
    var audience: [String]?
    var expiresAt: Double?
    var notBefore: Double?
    var issuedAt: Double?
    var tokenID: String?
    var tenantID: String?
    var clientID: String?
    var scope: String?

    /// NumericDates above 2^53 seconds (or below −2^53) are taken as overflow and refused.
    static let numericDateLimit = SecondsText.safeIntegerLimit

    /// The registered claims present, as a set of ``RegisteredClaimName`` bits.
    private(set) var present: RegisteredClaimName.Set = []

    /// Reads the registered claims the scanner collected.
    init(_ scanned: ScannedObject) throws(TokenRejection) {
        try scanned.registered.forEachPresent { (name, value) throws(TokenRejection) in try read(name, value) }
    }

    private mutating func read(_ name: RegisteredClaimName, _ value: borrowing JSONValue) throws(TokenRejection) {
        present.insert(name.bit)
        switch name {
        case .iss: issuer = try Self.string(name, value)
        case .sub: subject = try Self.string(name, value)
        case .jti: tokenID = try Self.string(name, value)
        case .tid: tenantID = try Self.string(name, value)
        case .clientID: clientID = try Self.string(name, value)
        case .scope: scope = try Self.string(name, value)
        case .exp: expiresAt = try Self.numericDate(name, value)
        case .nbf: notBefore = try Self.numericDate(name, value)
        case .iat: issuedAt = try Self.numericDate(name, value)
        case .aud: audience = try Self.audience(name, value)
        }
    }

    private static func string(_ name: RegisteredClaimName, _ value: borrowing JSONValue) throws(TokenRejection) -> String {
        guard case .string(let text) = copy value else {
            throw TokenRejection(.malformedClaims, "claim '\(name.text)' must be a string, not \((copy value).typeName)")
        }
        return text
    }

    private static func numericDate(_ name: RegisteredClaimName, _ value: borrowing JSONValue) throws(TokenRejection) -> Double {
        guard case .number(let number) = copy value else {
            throw TokenRejection(.malformedClaims, "claim '\(name.text)' must be a NumericDate (a JSON number), not \((copy value).typeName)")
        }
        guard abs(number) <= numericDateLimit else {
            throw TokenRejection(.malformedClaims, "claim '\(name.text)' overflows the NumericDate range")
        }
        return number
    }

    private static func audience(_ name: RegisteredClaimName, _ value: borrowing JSONValue) throws(TokenRejection) -> [String] {
        switch copy value {
        case .string(let value):
            return [value]
        case .array(let elements):
            guard !elements.isEmpty else { throw TokenRejection(.malformedClaims, "claim 'aud' is an empty array") }
            var audiences: [String] = []
            audiences.reserveCapacity(elements.count)
            for element in elements {
                guard case .string(let value) = element else {
                    throw TokenRejection(.malformedClaims, "claim 'aud' must hold only strings, not \(element.typeName)")
                }
                audiences.append(value)
            }
            return audiences
        default:
            throw TokenRejection(.malformedClaims, "claim 'aud' must be a string or an array of strings, not \((copy value).typeName)")
        }
    }
}
