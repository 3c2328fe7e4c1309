import Foundation
import Keybound
import KeyboundDrill
import KeyboundPKCS11
import Testing

/// The Storm-0558 drill with every issuer's keys inside a SoftHSM2 token: the attacker cannot copy
/// the consumer key, only have the token sign while controlling a provider; the verifiers refuse
/// the same forgeries; the response destroys the key in the token, which then signs no more.
@Suite("Storm-0558 drill on PKCS#11 custody", .serialized)
struct StormDrillPKCS11Tests {
    @Test("In-process, 3 days, keys in the token: every expectation holds, rotations happen there, and the stolen key is destroyed there",
          .timeLimit(.minutes(10)))
    func drillOnPKCS11() async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let lines = StormDrillTests.Lines()
        var options = StormDrillOptions(days: 3, custodian: PKCS11Custodian(token: token))
        options.requestTimeout = .seconds(60)
        let result = try await StormDrill.run(options) { lines.append($0) }
        #expect(result.passed, "\(result.failures.map { "\($0.name): \($0.detail)" })")
        #expect(result.rotations == 3)
        let names = result.expectations.map(\.name)
        #expect(names.contains("after the response, the token signs nothing more with the stolen key: its private half was destroyed there"))
        #expect(!names.contains { $0.contains("refused with key_revoked at every front end") })
        // The same forgeries as with software keys, refused for the same reasons.
        let crossIssuer = result.attempts.filter { $0.token.hasPrefix("A") }
        #expect(!crossIssuer.isEmpty && crossIssuer.allSatisfy { $0.status == 401 && $0.code == "issuer_key_mismatch" })
        #expect(lines.all.contains { $0.contains("inside a PKCS#11 token") && $0.contains("cannot be copied") })
    }
}
