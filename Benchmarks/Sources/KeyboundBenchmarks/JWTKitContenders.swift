import Foundation
import JWTKit

/// jwt-kit 5 through `JWTKeyCollection`, whose API is async (it is an actor), so its loops await.
enum JWTKitContenders {
    /// `JWTKeyCollection.verify(_:as:)` over jwt-kit's own tokens of the same claims; traps on failure.
    static func verify(_ fixture: AlgorithmFixture) -> Contender {
        let keys = fixture.jwtkitVerifying, tokens = fixture.jwtkitTokens, mask = tokens.count - 1
        return Contender(label: "jwtkit") { operations in
            var checksum = 0
            for index in 0..<operations {
                do {
                    let payload = try await keys.verify(tokens[index & mask], as: AccessTokenPayload.self)
                    checksum &+= payload.jti.value.utf8.count
                } catch {
                    preconditionFailure("jwt-kit rejected a valid token: \(error)")
                }
            }
            return checksum
        }
    }

    /// `JWTKeyCollection.sign(_:kid:header:)` over the fixture's payloads, each with its token's key.
    static func sign(_ fixture: AlgorithmFixture) -> Contender {
        let keys = fixture.jwtkitSigning, payloads = fixture.payloads, mask = payloads.count - 1
        let kids = fixture.signed.tokenKeys.map { JWKIdentifier(string: fixture.signed.keyIDs[$0]) }, header = AlgorithmFixture.jwtkitHeader
        return Contender(label: "jwtkit") { operations in
            var checksum = 0
            for index in 0..<operations {
                checksum &+= try await keys.sign(payloads[index & mask], kid: kids[index & mask], header: header).utf8.count
            }
            return checksum
        }
    }
}
