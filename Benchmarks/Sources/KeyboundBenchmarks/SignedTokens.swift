import Foundation
import Keybound

/// One algorithm's keys and the tokens Keybound signed with them, prepared synchronously (no
/// jwt-kit, no concurrency), for the Keybound and raw swift-crypto contenders.
///
/// Every ``BenchmarkIssuer`` has ``BenchmarkIssuer/keysPerIssuer`` keys of the algorithm, each with
/// its own `kid`; token `index` is signed by key ``BenchmarkIssuer/keyIndex(ofToken:)``, so the
/// tokens interleave issuers and keys and their headers differ.
struct SignedTokens: Sendable {
    let algorithm: JWSAlgorithm
    /// The keys, by key index (issuer-major).
    let keyIDs: [String]
    let signingKeys: [SigningKey]
    let rawKeys: [RawKey]
    /// The key index of each token.
    let tokenKeys: [Int]
    /// The claims of each token as Keybound JSON objects, ready for signing.
    let claimObjects: [JSONObject]
    /// Compact tokens signed by Keybound's ``TokenSigner``.
    let tokens: [String]
    /// The JWS signing input (`header.payload` bytes) of each token.
    let signingInputs: [[UInt8]]
    /// The raw signature bytes of each token.
    let signatures: [[UInt8]]

    /// The public JWKs of `issuer`'s keys.
    func publicJWKs(of issuer: BenchmarkIssuer) -> [Keybound.JWK] {
        signingKeys.indices.filter { BenchmarkIssuer.issuer(ofKey: $0).identifier == issuer.identifier }.map { signingKeys[$0].publicJWK }
    }

    /// Generates the keys for `algorithm` and signs `claims` with Keybound.
    static func make(algorithm: JWSAlgorithm, claims: [TokenClaims]) throws -> SignedTokens {
        var keyIDs: [String] = [], signingKeys: [SigningKey] = [], rawKeys: [RawKey] = []
        for keyIndex in 0..<BenchmarkIssuer.keyCount {
            let issuer = BenchmarkIssuer.issuer(ofKey: keyIndex)
            let keyID = "\(issuer.name)-\(algorithm.rawValue.lowercased())-\(keyIndex % BenchmarkIssuer.keysPerIssuer + 1)"
            let key = try SigningKey.generate(algorithm: algorithm, issuer: issuer.identifier, keyID: keyID)
            keyIDs.append(keyID)
            signingKeys.append(key)
            rawKeys.append(try RawKey(key))
        }
        let signers = signingKeys.map { TokenSigner(key: $0) }
        let tokenKeys = claims.indices.map { BenchmarkIssuer.keyIndex(ofToken: $0) }
        let claimObjects = claims.map(\.keyboundObject)
        var tokens: [String] = [], inputs: [[UInt8]] = [], signatures: [[UInt8]] = []
        for (index, object) in claimObjects.enumerated() {
            let token = try signers[tokenKeys[index]].sign(claims: object, type: ExpectedTokenType.accessToken.rawValue)
            guard let lastDot = token.utf8.lastIndex(of: UInt8(ascii: ".")),
                  let signature = Base64URLDecoding.decode(token[token.index(after: lastDot)...]) else {
                throw FixtureError("Keybound produced a malformed token")
            }
            tokens.append(token)
            inputs.append(Array(token.utf8[..<lastDot]))
            signatures.append(signature)
        }
        let distinctHeaders = Set(tokens.map { $0.prefix { $0 != "." } })
        guard distinctHeaders.count == BenchmarkIssuer.keyCount else {
            throw FixtureError("expected \(BenchmarkIssuer.keyCount) distinct headers, got \(distinctHeaders.count)")
        }
        return SignedTokens(algorithm: algorithm, keyIDs: keyIDs, signingKeys: signingKeys, rawKeys: rawKeys, tokenKeys: tokenKeys,
                            claimObjects: claimObjects, tokens: tokens, signingInputs: inputs, signatures: signatures)
    }
}
