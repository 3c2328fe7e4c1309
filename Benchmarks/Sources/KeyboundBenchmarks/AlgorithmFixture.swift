import Foundation
import JWTKit
import Keybound

/// Everything one algorithm's benchmarks need, prepared before any timing starts: the keys and
/// Keybound's tokens (``SignedTokens``, which the raw baseline verifies too, with the same key of
/// each), and jwt-kit's own tokens of the same claims signed with the same keys.
struct AlgorithmFixture: Sendable {
    /// The keys and Keybound's tokens.
    let signed: SignedTokens
    /// The claims of each token, as jwt-kit payloads, ready for signing.
    let payloads: [AccessTokenPayload]
    /// Tokens of the same claims signed by jwt-kit, each with its token's key.
    let jwtkitTokens: [String]
    /// jwt-kit collection holding the private keys (signing).
    let jwtkitSigning: JWTKeyCollection
    /// jwt-kit collection holding only the public keys (verification).
    let jwtkitVerifying: JWTKeyCollection

    var algorithm: JWSAlgorithm { signed.algorithm }

    /// The header jwt-kit tokens carry besides `alg` and `kid`.
    static var jwtkitHeader: JWTHeader {
        var header = JWTHeader()
        header.typ = ExpectedTokenType.accessToken.rawValue
        return header
    }

    /// Generates the keys for `algorithm` and signs `claims` with Keybound and with jwt-kit.
    static func make(algorithm: JWSAlgorithm, claims: [TokenClaims]) async throws -> AlgorithmFixture {
        let signed = try SignedTokens.make(algorithm: algorithm, claims: claims)
        let payloads = claims.map(\.jwtkitPayload)
        let signing = JWTKeyCollection(), verifying = JWTKeyCollection()
        for (rawKey, keyID) in zip(signed.rawKeys, signed.keyIDs) { try await rawKey.register(keyID: keyID, signing: signing, verifying: verifying) }
        var jwtkitTokens: [String] = []
        for (index, payload) in payloads.enumerated() {
            let kid = JWKIdentifier(string: signed.keyIDs[signed.tokenKeys[index]])
            jwtkitTokens.append(try await signing.sign(payload, kid: kid, header: jwtkitHeader))
        }
        return AlgorithmFixture(signed: signed, payloads: payloads, jwtkitTokens: jwtkitTokens, jwtkitSigning: signing,
                                jwtkitVerifying: verifying)
    }
}
