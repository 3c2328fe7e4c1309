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
        for (name, value) in scanned.registered {
            try read(name, JSONObject.Member(name: name.text, value: value))
        }
    }

    private mutating func read(_ name: RegisteredClaimName, _ member: JSONObject.Member) throws(TokenRejection) {
        present.insert(name.bit)
        switch name {
        case .iss: issuer = try Self.string(member)
        case .sub: subject = try Self.string(member)
        case .jti: tokenID = try Self.string(member)
        case .tid: tenantID = try Self.string(member)
        case .clientID: clientID = try Self.string(member)
        case .scope: scope = try Self.string(member)
        case .exp: expiresAt = try Self.numericDate(member)
        case .nbf: notBefore = try Self.numericDate(member)
        case .iat: issuedAt = try Self.numericDate(member)
        case .aud: audience = try Self.audience(member)
        }
    }

    private static func string(_ member: JSONObject.Member) throws(TokenRejection) -> String {
        guard case .string(let value) = member.value else {
            throw TokenRejection(.malformedClaims, "claim '\(member.name)' must be a string, not \(member.value.typeName)")
        }
        return value
    }

    private static func numericDate(_ member: JSONObject.Member) throws(TokenRejection) -> Double {
        guard case .number(let value) = member.value else {
            throw TokenRejection(.malformedClaims, "claim '\(member.name)' must be a NumericDate (a JSON number), not \(member.value.typeName)")
        }
        guard abs(value) <= numericDateLimit else {
            throw TokenRejection(.malformedClaims, "claim '\(member.name)' overflows the NumericDate range")
        }
        return value
    }

    private static func audience(_ member: JSONObject.Member) throws(TokenRejection) -> [String] {
        switch member.value {
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
            throw TokenRejection(.malformedClaims, "claim 'aud' must be a string or an array of strings, not \(member.value.typeName)")
        }
    }
}
