import Foundation
import Keybound

/// Contenders that go through Keybound's public API. Each loop is synchronous (an
/// ``InstructionCount`` run calls it without the concurrency runtime) and is wrapped as a
/// ``Contender`` for timing.
enum KeyboundContenders {
    /// A verifier trusting every ``BenchmarkIssuer``, each with its own tenancy (its tenant id, so
    /// the `tid` check runs) and its own keys of every fixture, the access-token policy, and a fixed
    /// clock inside the tokens' validity. Keybound's verifier has no verified-token cache: every
    /// call parses and checks the signature.
    static func verifier(for fixtures: [SignedTokens], now: Date) throws -> TokenVerifier {
        var trust = TrustStore()
        for issuer in BenchmarkIssuer.all {
            try trust.add(try TrustedIssuer(
                identifier: issuer.identifier, tenancy: .tenant(issuer.tenantID),
                maximumTokenLifetime: TrustedIssuer.defaultMaximumTokenLifetime,
                keySet: JWKSet(keys: fixtures.flatMap { $0.publicJWKs(of: issuer) })))
        }
        let policy = try VerificationPolicy(audience: TokenClaims.audience, tokenType: .accessToken)
        return TokenVerifier(trust: trust, policy: policy, clock: .fixed(now))
    }

    /// `TokenVerifier.verify` over the tokens; traps on any rejection. The checksum reads what a
    /// resource reads of a verified token, its typed claims (`subject`), not ``VerifiedToken/claims``,
    /// which parses the whole payload again on demand.
    static func verifyLoop(_ signed: SignedTokens, with verifier: TokenVerifier) -> @Sendable (Int) throws -> Int {
        let tokens = signed.tokens, mask = tokens.count - 1
        return { operations in
            var checksum = 0
            for index in 0..<operations {
                switch verifier.verify(tokens[index & mask]) {
                case .verified(let token): checksum &+= token.payload.count &+ (token.subject?.utf8.count ?? 0)
                case .rejected(let rejection): preconditionFailure("Keybound rejected a valid token: \(rejection)")
                }
            }
            return checksum
        }
    }

    /// `TokenSigner.sign(claims:type:)` over the claims, each with its token's key.
    static func signLoop(_ signed: SignedTokens) -> @Sendable (Int) throws -> Int {
        let signers = signed.signingKeys.map { TokenSigner(key: $0) }, keys = signed.tokenKeys
        let claims = signed.claimObjects, mask = claims.count - 1
        let type = ExpectedTokenType.accessToken.rawValue
        return { operations in
            var checksum = 0
            for index in 0..<operations {
                checksum &+= try signers[keys[index & mask]].sign(claims: claims[index & mask], type: type).utf8.count
            }
            return checksum
        }
    }

    static func verify(_ fixture: AlgorithmFixture, with verifier: TokenVerifier) -> Contender {
        let loop = verifyLoop(fixture.signed, with: verifier)
        return Contender(label: "keybound") { try loop($0) }
    }

    static func sign(_ fixture: AlgorithmFixture) -> Contender {
        let loop = signLoop(fixture.signed)
        return Contender(label: "keybound") { try loop($0) }
    }
}
