import Foundation
import Keybound
import KeyboundAudit
import KeyboundMail
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// The tenant boundary at a standalone Keybound Mail (`keybound mail serve`, its own process, trust
/// from discovery and the push channel, no ledger): a stolen consumer key naming contoso's tid reads
/// no contoso audit record, reads no contoso mailbox and squats none; a consumer-realm token with a
/// tenant-wide role is refused 403. Each refusal is in the mail process's audit log with its code.
@Suite("Keybound Mail: the tenant boundary holds at a standalone mail server", .serialized)
struct MailTenantBoundaryStandaloneTests {
    static func contoso(_ base: String) -> String { base + "/contoso" }

    @Test("forged-tid audit read, mailbox squat and consumer-realm tenant-wide read: refused with their codes, audited")
    func attacksRefused() async throws {
        // The issuance check is skipped for both issuers: the boundary must hold at a validator that
        // cannot tell a forgery from an issued token (MailIssuanceCheckTests shows the check itself).
        let mail = try await StandaloneMail(trust: { base in ["\(Self.contoso(base))#\(DevelopmentBootstrap.tenantID)", base + "/consumers"] },
                                            extraArguments: ["--unsafe-skip-issuance-check", "{base}/contoso",
                                                             "--unsafe-skip-issuance-check", "{base}/consumers"])
        let listening = await mail.waitUntilListening()
        let output = mail.output
        guard listening else {
            await mail.stop()
            Issue.record("the mail process did not start:\n\(output)")
            return
        }
        #expect(output.contains("consumer realm \(IssuerRecord.wellKnownConsumerTenantID)"), "\(output)")
        let manager = mail.fixture.context.manager
        let stolen = try await manager.signingKey(issuerID: "consumers")
        let consumerTID = try await #require(try manager.issuer(id: "consumers").tenantID)
        let forge = MailFixtureForgery(issuerURL: mail.base + "/consumers", key: stolen)
        let auditRead = try forge.token(tid: DevelopmentBootstrap.tenantID, ["roles": .array([.string("AuditLog.Read.All")]), "idtyp": .string("app")])
        let squat = try forge.token(tid: DevelopmentBootstrap.tenantID, ["scope": .string("Mail.Read"), "sub": .string("squatter")])
        let tenantWide = try forge.token(tid: consumerTID, ["roles": .array([.string("Mail.Read.All")]), "idtyp": .string("app")])

        let refusedRead = try #require(await StandaloneMail.get(mail.mailBase + "/audit/records", token: auditRead))
        #expect(refusedRead.status == 401 && refusedRead.challenge?.contains("tenant_mismatch") == true, "\(refusedRead)")
        let refusedSquat = try #require(await StandaloneMail.get(mail.mailBase + "/me/messages", token: squat))
        #expect(refusedSquat.status == 401 && refusedSquat.challenge?.contains("tenant_mismatch") == true, "\(refusedSquat)")
        let refusedRole = try #require(await StandaloneMail.get(mail.mailBase + "/users/user@consumers.example/messages", token: tenantWide))
        #expect(refusedRole.status == 403 && refusedRole.body.contains("consumer_realm_role"), "\(refusedRole)")

        await mail.stopMail()
        let records = try await AuditLog(directory: mail.dataDirectory).records(limit: 100)
        let codes = records.map { $0.rejectionCode ?? "-" }
        #expect(codes == ["tenant_mismatch", "tenant_mismatch", "consumer_realm_role"], "\(codes)")
        #expect(records.prefix(2).allSatisfy { $0.attribution == .unverified && $0.tenant == DevelopmentBootstrap.tenantID })
        #expect(records.last?.attribution == .verified && records.last?.tenant == consumerTID)
        let contosoTenant = Tenant(issuer: Self.contoso(mail.base), tenantID: DevelopmentBootstrap.tenantID, kind: .tenant)
        #expect(try await AuditLog(directory: mail.dataDirectory).records(of: contosoTenant).isEmpty, "nothing entered contoso's feed")
        #expect(try await MailStore(directory: mail.dataDirectory).allMailboxes().allSatisfy { $0.subject != "squatter" }, "no mailbox was squatted")
        await mail.stop()
    }

    @Test("a --trust URL#tid that the issuer's discovery document contradicts: the mail process refuses to start")
    func pinnedTenantContradicted() async throws {
        let mail = try await StandaloneMail(trust: { base in ["\(Self.contoso(base))#not-contoso"] }, extraArguments: ["--startup-wait", "2"])
        let listening = await mail.waitUntilListening(seconds: 20)
        let output = mail.output
        let status = mail.process.termination?.status
        await mail.stop()
        #expect(!listening)
        #expect(status != nil && status != 0, "exit status \(String(describing: status))")
        #expect(output.contains("not-contoso") && output.contains(DevelopmentBootstrap.tenantID), "\(output)")
    }
}

/// Forged tokens of one issuer, made with its real (stolen) key.
struct MailFixtureForgery {
    let issuerURL: String
    let key: SigningKey

    func token(tid: String, _ extra: [String: JSONValue]) throws -> String {
        let now = Date().timeIntervalSince1970.rounded(.down)
        var claims = JSONObject(["iss": .string(issuerURL), "sub": .string("forged-subject"), "aud": .string("api://mail"),
                                 "exp": .number(now + 300), "iat": .number(now), "nbf": .number(now),
                                 "jti": .string(UUID().uuidString), "client_id": .string("attacker-app"), "tid": .string(tid)])
        for (name, value) in extra { claims[name] = value }
        let header = JSONObject(["alg": .string(key.algorithm.rawValue), "kid": .string(key.keyID), "typ": .string("at+jwt")])
        return try TokenSigner(key: key).sign(header: header, payload: JSONWriter().bytes(.object(claims)))
    }
}
