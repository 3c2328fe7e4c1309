import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundHummingbirdTesting
import KeyboundMail
import KeyboundTesting
import Testing

/// Keybound Mail alone, without a provider: two fake issuers (KeyboundTesting) whose users have the
/// same subject, `alice`, and one mailbox each, behind the service's own router.
struct MailOnFakeIssuers {
    static let audience = MailAPI.audience

    let clock: TestClock
    let contoso: FakeIssuer
    let fabrikam: FakeIssuer
    let directory: URL
    let service: MailService

    init() async throws {
        clock = TestClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        contoso = try FakeIssuer("https://login.example.test/contoso", tenantID: "contoso-tid", clock: clock)
        fabrikam = try FakeIssuer("https://login.example.test/fabrikam", tenantID: "fabrikam-tid", clock: clock)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try MailStore(directory: directory)
        let audit = try AuditLog(directory: directory.appendingPathComponent("audit"))
        let trust = try TrustStore(trusting: [contoso, fabrikam])
        let policy = MailService.policy()
        let verificationClock = clock.verificationClock
        service = MailService(store: store, audit: audit,
                              configuration: try MailConfiguration(allowedIssuers: [contoso.identifier, fabrikam.identifier]),
                              now: clock.function,
                              verifier: { TokenVerifier(trust: trust, policy: policy, clock: verificationClock) })
        for issuer in [contoso, fabrikam] {
            let mailbox = Mailbox(issuer: issuer.identifier, tenantID: try #require(issuer.tenantID), subject: "alice",
                                  address: "alice@\(issuer.identifier.split(separator: "/").last!).example",
                                  displayName: "Alice", createdAt: clock.now)
            try await store.provision(mailbox, messages: MailSeed.messages(for: mailbox, now: clock.now))
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    var app: some ApplicationProtocol { Application(router: service.router()) }

    /// A delegated token of `issuer`'s alice for Mail.Read.
    func aliceToken(_ issuer: FakeIssuer) throws -> String {
        try issuer.accessToken(subject: "alice", audience: Self.audience, scope: "Mail.Read")
    }

    /// The last audit record.
    func lastAudit() throws -> AuditRecord { try #require(try service.audit.lastRecordNow()) }
}

@Suite("Keybound Mail: on fake issuers, without a provider")
struct MailOnFakeIssuersTests {
    @Test("each issuer's alice reads her own mailbox only: the same subject in two issuers is two people",
          arguments: ResourceTestTransport.allCases)
    func sameSubjectTwoIssuers(transport: ResourceTestTransport) async throws {
        let fixture = try await MailOnFakeIssuers()
        defer { fixture.remove() }
        try await ProtectedResourceTest(fixture.app).run(transport) { client in
            for issuer in [fixture.contoso, fixture.fabrikam] {
                let response = try await client.get("/me/messages?$top=50", bearer: try fixture.aliceToken(issuer))
                #expect(response.status == .ok)
                let record = try fixture.lastAudit()
                #expect(record.verdict == .allowed)
                #expect(record.tokenIssuer == issuer.identifier)
                #expect(record.tenantIssuer == issuer.identifier)
                #expect(record.tenant == issuer.tenantID)
                #expect(record.resource?.hasSuffix(String(issuer.identifier.split(separator: "/").last!) + ".example") == true)
                let listed = try StrictJSONParser.parseObject(response.bodyBytes)["value"]?.arrayValue ?? []
                let ids = Set(listed.compactMap { $0.objectValue?["id"]?.stringValue })
                #expect(!ids.isEmpty)
                #expect(Set(record.itemIDs) == ids, "the audit names exactly the items served")
            }
        }
    }

    @Test("one issuer's key cannot open another issuer's mailbox, and the attempt is audited as refused")
    func crossIssuerKeyRefused() async throws {
        let fixture = try await MailOnFakeIssuers()
        defer { fixture.remove() }
        // fabrikam's own key, a token that claims contoso: Storm-0558's forgery.
        let forged = try fixture.fabrikam.accessToken(subject: "alice", audience: MailOnFakeIssuers.audience, scope: "Mail.Read",
                                                      claimedIssuer: fixture.contoso.identifier,
                                                      extra: JSONObject(["tid": .string("contoso-tid")]))
        try await ProtectedResourceTest(fixture.app).run { client in
            let response = try await client.get("/me/messages", bearer: forged)
            #expect(response.status == .unauthorized)
            let record = try fixture.lastAudit()
            #expect(record.verdict == .denied)
            #expect(record.rejectionCode == RejectionCode.issuerKeyMismatch.rawValue)
            #expect(record.itemIDs.isEmpty)
        }
    }

    @Test("a token for another audience, an expired token and an untrusted issuer's token are refused with their reasons")
    func refusedWithReasons() async throws {
        let fixture = try await MailOnFakeIssuers()
        defer { fixture.remove() }
        let stranger = try FakeIssuer("https://login.example.test/stranger", tenantID: "stranger-tid", clock: fixture.clock)
        let cases: [(String, String)] = [
            (try fixture.contoso.accessToken(subject: "alice", audience: "api://files", scope: "Mail.Read"),
             RejectionCode.audienceMismatch.rawValue),
            (try fixture.contoso.accessToken(subject: "alice", audience: MailOnFakeIssuers.audience, scope: "Mail.Read", lifetime: 60),
             RejectionCode.tokenExpired.rawValue),
            (try stranger.accessToken(subject: "alice", audience: MailOnFakeIssuers.audience, scope: "Mail.Read"),
             RejectionCode.untrustedIssuer.rawValue),
        ]
        // The second token expires 60 s after now; move past it and the clock skew.
        fixture.clock.advance(60 + VerificationPolicy.maximumClockSkew + 1)
        try await ProtectedResourceTest(fixture.app).run { client in
            for (token, code) in cases {
                let response = try await client.get("/me/messages", bearer: token)
                #expect(response.status == .unauthorized, "\(code)")
                #expect(try fixture.lastAudit().rejectionCode == code)
            }
        }
    }
}
