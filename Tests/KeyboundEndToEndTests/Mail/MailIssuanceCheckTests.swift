import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Keybound
import KeyboundAudit
import KeyboundMail
@_spi(Plumbing) import KeyboundServer
import Testing

/// The remote forgery check at `keybound mail serve` (its own process, trusting the provider over
/// HTTP): tokens the provider issued are served, tokens made with the issuer's own stolen key are
/// refused (`token_not_issued`, `token_claims_mismatch`), and an issuer whose feed the validator
/// cannot follow has every token refused (`ledger_unavailable`). Deadlines are generous, never
/// latency targets.
@Suite("Keybound Mail: a separate mail server refuses tokens its provider never issued", .serialized)
struct MailIssuanceCheckTests {
    @Test("issued tokens are served, even used at once; forgeries with contoso's own key are refused; consumers' feed is not followed")
    func forgeriesRefused() async throws {
        let mail = try await StandaloneMail.followingContoso(alsoTrust: { base in [base + "/consumers"] })
        let mailbox = mail.contosoMailbox
        // The listener opens once contoso's feed is heard: the first request is served.
        let listening = await mail.waitUntilListening()
        let first = try await MailCrossProcessTests.token(base: mail.base)
        let firstReply = await StandaloneMail.get(mailbox, token: first)
        guard listening, firstReply?.status == 200 else {
            Issue.record("the mail process did not serve an issued token at once (\(String(describing: firstReply))); its output:\n\(mail.output)")
            await mail.stop()
            return
        }
        #expect(mail.output.contains("issuance check: on (tokens never issued are refused)"), "\(mail.output)")
        #expect(mail.output.contains("issuance check: ON, but without credentials"), "consumers has no credentials, and says so")

        // /health shows each issuer's check.
        let health = try #require(await StandaloneMail.get(mail.mailBase + "/health", token: nil))
        let check = try StrictJSONParser.parseObject(Array(health.body.utf8))["issuance_check"]
        #expect(check == .object(JSONObject([mail.base + "/contoso": .string("on"), mail.base + "/consumers": .string("on")])), "\(health.body)")

        // A token used the moment the token endpoint returns it: served (its feed entry, or the status call).
        for _ in 0..<5 {
            let fresh = try await MailCrossProcessTests.token(base: mail.base)
            let reply = await StandaloneMail.get(mailbox, token: fresh)
            #expect(reply?.status == 200, "\(String(describing: reply))")
        }

        // Forgeries made with contoso's own signing key: perfect signatures, never issued.
        let stolen = try await mail.fixture.context.manager.signingKey(issuerID: "contoso")
        let forge = MailFixtureForgery(issuerURL: mail.base + "/contoso", key: stolen)
        let neverIssued = try forge.token(tid: DevelopmentBootstrap.tenantID, ["roles": .array([.string("Mail.Read.All")]), "idtyp": .string("app")])
        let refusedForgery = try #require(await StandaloneMail.get(mailbox, token: neverIssued))
        #expect(refusedForgery.status == 401 && refusedForgery.challenge?.contains("token_not_issued") == true, "\(refusedForgery)")

        // The issued token's jti with other claims (a later exp): the digest differs.
        let payload = try #require(TokenInspection(token: first, now: Date()).claims)
        var altered = payload
        if case .number(let exp)? = payload["exp"] { altered["exp"] = .number(exp + 60) }
        let header = JSONObject(["alg": .string(stolen.algorithm.rawValue), "kid": .string(stolen.keyID), "typ": .string("at+jwt")])
        let reused = try TokenSigner(key: stolen).sign(header: header, payload: JSONWriter().bytes(.object(altered)))
        let refusedReuse = try #require(await StandaloneMail.get(mailbox, token: reused))
        #expect(refusedReuse.status == 401 && refusedReuse.challenge?.contains("token_claims_mismatch") == true, "\(refusedReuse)")

        // consumers advertises its feed, but this validator has no credentials to follow it.
        let consumerKey = try await mail.fixture.context.manager.signingKey(issuerID: "consumers")
        let consumerTID = try #require(try await mail.fixture.context.manager.issuer(id: "consumers").tenantID)
        let consumerToken = try MailFixtureForgery(issuerURL: mail.base + "/consumers", key: consumerKey)
            .token(tid: consumerTID, ["scope": .string("Mail.Read")])
        let refusedConsumer = try #require(await StandaloneMail.get(mail.mailBase + "/me/messages", token: consumerToken))
        #expect(refusedConsumer.status == 401 && refusedConsumer.challenge?.contains("ledger_unavailable") == true, "\(refusedConsumer)")

        await mail.stopMail()
        let codes = try await AuditLog(directory: mail.dataDirectory).records(limit: 10_000).compactMap(\.rejectionCode)
        #expect(codes.suffix(3) == ["token_not_issued", "token_claims_mismatch", "ledger_unavailable"], "\(codes)")
        await mail.stop()
    }

    @Test("--unsafe-skip-issuance-check: shown in /health and at start; refused with --production")
    func skippedCheckIsShownAndRefusedInProduction() async throws {
        let mail = try await StandaloneMail(trust: { base in ["\(base)/contoso#\(DevelopmentBootstrap.tenantID)"] },
                                            extraArguments: ["--unsafe-skip-issuance-check", "{base}/contoso"])
        let listening = await mail.waitUntilListening()
        #expect(listening, "\(mail.output)")
        let health = try #require(await StandaloneMail.get(mail.mailBase + "/health", token: nil))
        let check = try StrictJSONParser.parseObject(Array(health.body.utf8))["issuance_check"]
        #expect(check == .object(JSONObject([mail.base + "/contoso": .string("skipped")])), "\(health.body)")
        #expect(mail.output.contains("issuance check: SKIPPED"), "\(mail.output)")
        await mail.stop()

        let refused = try await CLIRunner.run(["mail", "serve", "--trust", "https://id.example/contoso", "--production",
                                               "--unsafe-skip-issuance-check", "https://id.example/contoso"])
        #expect(refused.status != 0 && refused.stderr.contains("--production refuses --unsafe-skip-issuance-check"), "\(refused.stderr)")
    }

    @Test("with the provider down longer than the feed staleness, every token of its issuer is refused, cached ones too")
    func staleFeedRefusesEverything() async throws {
        // Keep-alives well inside the 5 s staleness (2 s was too close on two busy cores: a full
        // suite once delayed them past it): while the provider is up, its feed is live.
        let mail = try await StandaloneMail.followingContoso(extraArguments: ["--issuance-feed-staleness", "5"],
                                                             streamLimits: StreamLimits(keepAliveInterval: .milliseconds(300)))
        let mailbox = mail.contosoMailbox
        let token = try await MailCrossProcessTests.token(base: mail.base)
        guard try await mail.waitUntilServed(mailbox, token: token) else {
            Issue.record("the mail process never accepted an issued token; its output:\n\(mail.output)")
            await mail.stop()
            return
        }
        // The token is now in the verified-token cache. Past the staleness limit, with the provider
        // up (its keep-alives keep the feed live), it is still served.
        try await Task.sleep(for: .seconds(6))
        let whileUp = await StandaloneMail.get(mailbox, token: token)
        #expect(whileUp?.status == 200, "a quiet but live feed is not stale: \(String(describing: whileUp))")
        // The provider goes away.
        await mail.stopProvider()
        let refusal = try await mail.waitUntilRefused(mailbox, token: token)
        #expect(refusal?.challenge?.contains("ledger_unavailable") == true, "\(String(describing: refusal))\n\(mail.output)")
        await mail.stop()
    }

    @Test("after the provider went away and came back, the mail process resumes its feed and misses nothing")
    func resumesAfterDisconnect() async throws {
        let mail = try await StandaloneMail.followingContoso()
        let mailbox = mail.contosoMailbox
        let cached = try await MailCrossProcessTests.token(base: mail.base)
        guard try await mail.waitUntilServed(mailbox, token: cached) else {
            Issue.record("the mail process never accepted an issued token; its output:\n\(mail.output)")
            await mail.stop()
            return
        }
        // The provider goes away. While it is down the token the mail process has cached is revoked
        // (by another node of the same store, say): only the resumed feed can tell the mail process,
        // which serves a cached token without asking anyone.
        await mail.stopProvider()
        let jti = try #require(TokenInspection(token: cached, now: Date()).claims?["jti"]?.stringValue)
        try await mail.fixture.store.revokeToken(issuerID: "contoso", tokenID: jti, reason: "while the feed was down",
                                                 kind: .clientRequest, now: Date())
        #expect(await StandaloneMail.get(mailbox, token: cached)?.status == 200, "still cached: the mail process has not heard yet")
        mail.restartProvider()
        let refusal = try await mail.waitUntilRefused(mailbox, token: cached)
        #expect(refusal?.challenge?.contains("token_revoked") == true, "\(String(describing: refusal))\n\(mail.output)")
        // And a token issued after the return is served.
        let fresh = try await MailCrossProcessTests.token(base: mail.base)
        #expect(await StandaloneMail.get(mailbox, token: fresh)?.status == 200)
        await mail.stop()
    }

    @Test("a feed that cannot be heard (wrong credentials) holds the listener up to --startup-wait, and SIGTERM still stops the process at once")
    func gateYieldsToShutdown() async throws {
        let credentials = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-mail-credentials-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: credentials) }
        let mail = try await StandaloneMail(
            trust: { base in ["\(base)/contoso#\(DevelopmentBootstrap.tenantID)"] },
            extraArguments: ["--credentials-file", credentials.path, "--startup-wait", "600"]
        ) { base, _ in
            try Data(#"{"\#(base)/contoso": {"client_id": "daemon", "client_secret": "not-the-secret"}}"#.utf8).write(to: credentials)
        }
        var started = false
        for _ in 0..<400 where !started {
            started = mail.output.contains("Keybound Mail listening")
            if !started { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(started, "\(mail.output)")
        try await Task.sleep(for: .milliseconds(500))
        #expect(await StandaloneMail.get(mail.mailBase + "/health", token: nil) == nil, "the listener waits for the feed")
        mail.process.send(SIGTERM)
        // A generous deadline, far below the 600 s the gate would otherwise wait.
        var stopped = false
        for _ in 0..<300 where !stopped {
            stopped = !mail.process.isRunning
            if !stopped { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(stopped, "SIGTERM ends the wait: \(mail.output)")
        await mail.stop()
    }
}
