import Foundation
import Keybound

/// Contenders that go through Keybound's public API.
enum KeyboundContenders {
    /// A verifier trusting every fixture's key for the benchmark issuer, with the tenant id set so the
    /// `tid` check runs, the access-token policy, and a fixed clock inside the tokens' validity.
    /// Keybound's verifier has no verified-token cache: every call parses and checks the signature.
    static func verifier(for fixtures: [AlgorithmFixture], now: Date) throws -> TokenVerifier {
        let issuer = try TrustedIssuer(
            identifier: TokenClaims.issuer, tenancy: .tenant(TokenClaims.tenantID),
            maximumTokenLifetime: TrustedIssuer.defaultMaximumTokenLifetime,
            keySet: JWKSet(keys: fixtures.map(\.signingKey.publicJWK)))
        var trust = TrustStore()
        try trust.add(issuer)
        let policy = try VerificationPolicy(audience: TokenClaims.audience, tokenType: .accessToken)
        return TokenVerifier(trust: trust, policy: policy, clock: .fixed(now))
    }

    /// `TokenVerifier.verify` over the fixture's tokens; traps on any rejection.
    static func verify(_ fixture: AlgorithmFixture, with verifier: TokenVerifier) -> Contender {
        let tokens = fixture.keyboundTokens, mask = tokens.count - 1
        return Contender(label: "keybound") { operations in
            var checksum = 0
            for index in 0..<operations {
                switch verifier.verify(tokens[index & mask]) {
                case .verified(let token): checksum &+= token.claims.members.count
                case .rejected(let rejection): preconditionFailure("Keybound rejected a valid token: \(rejection)")
                }
            }
            return checksum
        }
    }

    /// `TokenSigner.sign(claims:type:)` over the fixture's claims.
    static func sign(_ fixture: AlgorithmFixture) -> Contender {
        let signer = TokenSigner(key: fixture.signingKey)
        let claims = fixture.claimObjects, mask = claims.count - 1
        let type = ExpectedTokenType.accessToken.rawValue
        return Contender(label: "keybound") { operations in
            var checksum = 0
            for index in 0..<operations {
                checksum &+= try signer.sign(claims: claims[index & mask], type: type).utf8.count
            }
            return checksum
        }
    }
}
