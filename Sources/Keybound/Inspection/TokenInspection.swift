import Foundation

/// What a token says about itself, decoded without trusting it (`keybound token inspect`).
///
/// Nothing here is verified: the header and claims are shown so a developer can see what a
/// verifier would check and why it might refuse the token.
public struct TokenInspection: Sendable {
    /// The decoded protected header, if the token's structure allowed decoding it.
    public let header: JSONObject?
    /// The decoded claims, if the payload is a strict JSON object.
    public let claims: JSONObject?
    /// The signature length in bytes, if decodable.
    public let signatureLength: Int?
    /// The first structural problem a verifier would stop at (before any key is involved), or `nil`.
    public let structuralRejection: TokenRejection?
    /// One line per check a ``TokenVerifier`` would make, with what this token offers for it.
    public let checks: [String]

    /// Inspects `token` as of `now`, using `policy`'s size limit and token type for the notes.
    public init(token: String, now: Date, tokenType: ExpectedTokenType = .accessToken) {
        var text = token
        let size = text.utf8.count
        let decoded = text.withUTF8 { CompactJWS.decode(UnsafeRawBufferPointer($0), maximumSize: 262_144) }
        var rejection: TokenRejection? = nil
        var checks: [String] = []
        if size > VerificationPolicy.defaultMaximumTokenSize {
            rejection = TokenRejection(.tokenTooLarge, "the token is \(size) bytes; the default limit is \(VerificationPolicy.defaultMaximumTokenSize)")
        }
        switch decoded {
        case .failure(let failure):
            self.header = nil
            self.claims = nil
            self.signatureLength = nil
            self.structuralRejection = rejection ?? failure
            self.checks = ["structure: \(failure.code.rawValue): \(failure.reason)"]
            return
        case .success(let jws):
            self.header = jws.header
            self.signatureLength = jws.signature.count
            let claims = try? StrictJSONParser.parseObject(jws.payload)
            self.claims = claims
            checks.append("size: \(size) bytes (limit \(VerificationPolicy.defaultMaximumTokenSize))")
            checks.append("alg: \(jws.algorithm.rawValue) must equal the algorithm the key is bound to")
            checks.append("typ: \(jws.type ?? "absent") — an \(tokenType.rawValue) verifier \(tokenType.accepts(typ: jws.type) ? "accepts it" : "rejects it (wrong_type)")")
            checks.append("kid: \(jws.keyID ?? "absent") — the key is looked up by (iss, kid), never by kid alone\(jws.keyID == nil ? " (missing_kid)" : "")")
            if rejection == nil, claims == nil {
                rejection = TokenRejection(.malformedClaims, "the payload is not a strict JSON object")
            }
            if let claims {
                checks += Self.claimNotes(claims, now: now, tokenType: tokenType)
            }
            checks.append("signature: \(jws.signature.count) bytes, checked with the trusted key of the token's issuer")
            self.structuralRejection = rejection
            self.checks = checks
        }
    }

    private static func claimNotes(_ claims: JSONObject, now: Date, tokenType: ExpectedTokenType) -> [String] {
        var notes: [String] = []
        let current = now.timeIntervalSince1970
        notes.append("iss: \(claims["iss"]?.stringValue ?? "absent") — must be a trusted issuer, and the key must belong to it (issuer_key_mismatch)")
        let missing = tokenType.requiredClaims.filter { claims[$0] == nil }
        notes.append(missing.isEmpty ? "required claims: all present" : "required claims: missing \(missing.joined(separator: ", ")) (missing_claim)")
        if let exp = claims["exp"]?.numberValue {
            notes.append("exp: \(SecondsText.of(exp)) — \(exp > current ? "expires in \(SecondsText.of(exp - current)) s" : "expired \(SecondsText.of(current - exp)) s ago (token_expired)")")
        }
        if let iat = claims["iat"]?.numberValue {
            notes.append("iat: \(SecondsText.of(iat)) — must lie inside the signing key's active window (key_not_active)")
            if let exp = claims["exp"]?.numberValue {
                notes.append("lifetime: \(SecondsText.of(exp - iat)) s — must not exceed the issuer's maximum (lifetime_too_long)")
            }
        }
        if let nbf = claims["nbf"]?.numberValue, nbf > current {
            notes.append("nbf: \(SecondsText.of(nbf)) — not valid for another \(SecondsText.of(nbf - current)) s (token_not_yet_valid)")
        }
        if let aud = claims["aud"] {
            notes.append("aud: \(JSONWriter().string(aud)) — must contain the verifier's audience exactly (audience_mismatch)")
        }
        if let tid = claims["tid"]?.stringValue {
            notes.append("tid: \(tid) — must equal the issuer's tenant id (tenant_mismatch)")
        }
        return notes
    }
}
