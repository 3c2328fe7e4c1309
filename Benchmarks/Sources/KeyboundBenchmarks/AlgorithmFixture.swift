import Foundation
import JWTKit
import Keybound

/// Everything one algorithm's benchmarks need, prepared before any timing starts.
///
/// Keybound's tokens are signed by ``TokenSigner``; the raw baseline uses the signing input and
/// signature bytes of exactly those tokens; jwt-kit signs its own tokens of the same claims.
struct AlgorithmFixture: Sendable {
    let algorithm: JWSAlgorithm
    let keyID: String
    let signingKey: SigningKey
    let rawKey: RawKey
    /// The claims of each token, one distinct `jti` each.
    let claims: [TokenClaims]
    /// The same claims as Keybound JSON objects, ready for signing.
    let claimObjects: [JSONObject]
    /// The same claims as jwt-kit payloads, ready for signing.
    let payloads: [AccessTokenPayload]
    /// Compact tokens signed by Keybound's ``TokenSigner``.
    let keyboundTokens: [String]
    /// The JWS signing input (`header.payload` bytes) of each Keybound token.
    let signingInputs: [[UInt8]]
    /// The raw signature bytes of each Keybound token.
    let signatures: [[UInt8]]
    /// Tokens of the same claims signed by jwt-kit.
    let jwtkitTokens: [String]
    /// jwt-kit collection holding the private key (signing).
    let jwtkitSigning: JWTKeyCollection
    /// jwt-kit collection holding only the public key (verification).
    let jwtkitVerifying: JWTKeyCollection

    /// The header jwt-kit tokens carry besides `alg` and `kid`.
    static var jwtkitHeader: JWTHeader {
        var header = JWTHeader()
        header.typ = ExpectedTokenType.accessToken.rawValue
        return header
    }

    /// Generates a key for `algorithm` and signs `claims` with Keybound and with jwt-kit.
    static func make(algorithm: JWSAlgorithm, claims: [TokenClaims]) async throws -> AlgorithmFixture {
        let keyID = "bench-\(algorithm.rawValue.lowercased())-1"
        let signingKey = try SigningKey.generate(algorithm: algorithm, issuer: TokenClaims.issuer, keyID: keyID)
        let rawKey = try RawKey(signingKey)
        let signer = TokenSigner(key: signingKey)
        let claimObjects = claims.map(\.keyboundObject)
        let payloads = claims.map(\.jwtkitPayload)

        var tokens: [String] = [], inputs: [[UInt8]] = [], signatures: [[UInt8]] = []
        for object in claimObjects {
            let token = try signer.sign(claims: object, type: ExpectedTokenType.accessToken.rawValue)
            guard let lastDot = token.utf8.lastIndex(of: UInt8(ascii: ".")),
                  let signature = Base64URLDecoding.decode(token[token.index(after: lastDot)...]) else {
                throw FixtureError("Keybound produced a malformed token")
            }
            tokens.append(token)
            inputs.append(Array(token.utf8[..<lastDot]))
            signatures.append(signature)
        }

        let signing = JWTKeyCollection(), verifying = JWTKeyCollection()
        try await rawKey.register(keyID: keyID, signing: signing, verifying: verifying)
        var jwtkitTokens: [String] = []
        for payload in payloads {
            jwtkitTokens.append(try await signing.sign(payload, kid: JWKIdentifier(string: keyID), header: jwtkitHeader))
        }
        return AlgorithmFixture(
            algorithm: algorithm, keyID: keyID, signingKey: signingKey, rawKey: rawKey, claims: claims,
            claimObjects: claimObjects, payloads: payloads, keyboundTokens: tokens, signingInputs: inputs,
            signatures: signatures, jwtkitTokens: jwtkitTokens, jwtkitSigning: signing, jwtkitVerifying: verifying)
    }
}
