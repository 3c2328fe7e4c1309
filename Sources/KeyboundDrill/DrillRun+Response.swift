import Foundation
import Keybound
import KeyboundHunt
import KeyboundIncident
import Synchronization

/// Acts 6 to 8: the hunt, `keybound incident respond`, and the morning after.
extension DrillRun {
    /// The drill's on-call engineer answers the first alert after this long (simulated).
    static let onCallDelay: TimeInterval = 30 * 60

    func detection() async throws {
        clock.set(attackStart.addingTimeInterval(Self.onCallDelay))
        heading("Act 6. Detection (\(label(clock.now())))")
        // The first-time rule needs the look-back window inside the log: at most the simulated period.
        lookbackDays = min(30, days - 1)
        let report = try await Hunt.run(HuntConfiguration(
            audit: world.auditSource, keyStore: world.manager.store, ledger: world.ledger,
            key: .init(issuer: DrillCast.consumers, keyID: stolenKeyID), lookback: TimeInterval(lookbackDays) * 86_400, now: clock.now()))
        let attackerTokens = Set(forgeries.map(\.tokenID))
        for (kind, count) in report.findingCounts where count > 0 { findings[kind.rawValue] = count }
        findingRequests = Set(report.findings.compactMap { finding in
            finding.record.tokenID.map { FindingKey(tokenID: $0, code: finding.record.rejectionCode) }
        })
        tracedRefusals = Dictionary((report.keyUse?.byRejectionCode ?? []).compactMap { group in group.name.map { ($0, group.tally.total) } },
                                    uniquingKeysWith: +)
        forgedTokenIDs = report.findings.filter { $0.kind == .forgedToken }.compactMap(\.record.tokenID)
        crossIssuerTokenIDs = report.findings.filter { $0.kind == .crossIssuerKey }.compactMap(\.record.tokenID)
        falsePositives = report.findings.filter { !attackerTokens.contains($0.record.tokenID ?? "") }.count
        leads = report.leads.map { lead in
            StormDrillResult.Lead(clientID: lead.clientID, mailbox: lead.mailbox, isAttacker: attackerTokens.contains(lead.record.tokenID ?? ""))
        }
        let alertCount = FrontEnd.allCases.map { world.alerts(of: $0).count }.reduce(0, +)
        paragraph("""
            The on-call engineer answers the first of \(alertCount) alerts \(DrillText.duration(Self.onCallDelay)) later and hunts \
            the key the alerts name, over the audit log (\(report.scan.recordsScanned) records), the issuance ledger \
            (\(report.scan.ledgerTokens) tokens) and the key store.
            """)
        let forgedServed = report.findings.filter { $0.kind == .forgedToken && $0.accepted }.count
        table(["Finding", "Count", "What it means"], HuntFinding.Kind.allCases.compactMap { kind in
            guard let count = report.findingCounts[kind], count > 0 else { return nil }
            let meaning = switch kind {
            case .forgedToken: "valid signature, never issued (\(forgedServed) served by the legacy validator)"
            case .crossIssuerKey: "a consumer key under an enterprise issuer"
            default: kind.title.lowercased()
            }
            return [kind.rawValue, "\(count)", meaning]
        })
        describeCoverage(report)
        say("  First-time access, \(HuntLead.pluralLabel) (look-back \(lookbackDays) days):")
        for lead in leads where !lead.isAttacker {
            say("    \(lead.clientID) first read \(lead.mailbox): legitimate, contoso's new archiving app")
        }
        let attackerLeads = leads.filter(\.isAttacker)
        if !attackerLeads.isEmpty {
            DrillText.paragraph("""
                \(Set(attackerLeads.map(\.clientID)).sorted().joined(separator: ", ")) first read \
                \(attackerLeads.map(\.mailbox).joined(separator: ", ")): the attacker, as the forged-token findings say. First-time \
                access is the rule that found the real intrusion; alone it cannot tell these from the new archiving app.
                """, indent: 4).forEach(say)
        }
        if leads.isEmpty { say("    none") }
    }

    func response() async throws {
        clock.advance(5 * 60)
        heading("Act 7. Response (\(label(clock.now())))")
        say("  $ keybound incident respond --issuer consumers --kid=\(stolenKeyID) --reason \"consumer signing key stolen\"")
        // Watch the edge while the command runs: the revocation reaches it over the key-event push channel.
        let moments = Moments()
        let world = self.world, consumersURL = world.tenant(DrillCast.consumers).url, kid = stolenKeyID
        let watcher = Task {
            while !Task.isCancelled && (moments.revoked == nil || moments.seen == nil) {
                if moments.seen == nil && world.edgeSeesRevoked(issuer: consumersURL, keyID: kid) { moments.markSeen() }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        let incidents = world.incidents
        let stores = IncidentResponder.Stores(keyStore: world.manager.store, ledger: world.ledger, audit: world.auditSource,
                                              incidents: incidents)
        let responder = IncidentResponder(manager: world.manager, stores: stores, now: clock.reader,
                                          afterEffect: { step in if step == .revokeKey { moments.markRevoked() } })
        let started = ContinuousClock.now
        let record = try await responder.respond(IncidentResponder.Request(
            issuerID: DrillCast.consumers, keyID: stolenKeyID, reason: "consumer signing key stolen", actor: "drill-on-call"))
        let documents = try await incidents.documentNames(incidentID: record.id)
        let summary = try await incidents.document(named: "summary.json", incidentID: record.id)
        let huntText = try await incidents.document(named: "hunt.md", incidentID: record.id) ?? ""
        let place = (incidents as? FolderIncidentStore)?.folder(id: record.id).url.path ?? "\(record.id) in \(incidents.location)"
        let commandSeconds = (ContinuousClock.now - started).drillSeconds
        let deadline = ContinuousClock.now + .seconds(10)
        while moments.seen == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        watcher.cancel()
        let propagation = moments.propagation
        // The same channel announces the fresh key, and the edge fetches the JWKS again. Simulated
        // hours pass in milliseconds here, so wait for it (in real time it takes milliseconds too).
        if let fresh = record.freshKeyID {
            while world.edgeTrust.trustStore().issuer(consumersURL)?.key(withID: fresh) == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let notices = noticeFiles(documents)
        let mustNotify = try await organisationsToNotify()
        let containment = containmentSeconds(summary: summary, record: record)
        incident = StormDrillResult.Incident(
            id: record.id, closed: record.isClosed, steps: record.completed.map(\.step.rawValue), folder: place,
            notices: notices, mustNotify: mustNotify, containmentSeconds: containment, tokensRevoked: record.tokensRevoked ?? 0,
            chainsRevoked: record.chainsRevoked ?? 0, freshKeyID: record.freshKeyID, commandSeconds: commandSeconds,
            edgePropagationSeconds: propagation)
        say("  Steps done: \(record.completed.map(\.step.rawValue).joined(separator: ", ")) (\(String(format: "%.2f", commandSeconds)) s).")
        paragraph("""
            The key is revoked and consumers signs with a fresh key (\(record.freshKeyID ?? "?")). \(record.tokensRevoked ?? 0) tokens \
            signed with the stolen key are revoked and \(record.chainsRevoked ?? 0) refresh chains cut. The revocation reached the \
            mail edge over the push channel in \(propagation.map { String(format: "%.0f ms", $0 * 1_000) } ?? "more than 10 s (not seen)").
            """)
        if let containment {
            paragraph("""
                Containment: \(DrillText.duration(containment)) from the first malicious request to the key's revocation \
                (simulated; \(DrillText.duration(Self.onCallDelay)) of it is the drill's assumed on-call delay). In 2023 the \
                forged tokens were used for about a month before anyone noticed.
                """)
        }
        say("  Incident: \(place)" + (keptDirectory || incidents is PostgresIncidentStore ? "" : " (removed at the end; --keep DIR keeps it)"))
        say("    timeline.md, affected.md, hunt.md, summary.json, and one notice per affected organisation (notices/<tenant id>.md, .json)")
        describeNotices(notices, mustNotify: mustNotify, hunt: huntText)
        for tenant in [DrillCast.contoso, DrillCast.consumers] {
            let text = try await incidents.document(named: "notices/\(world.tenant(tenant).tenantID).md", incidentID: record.id) ?? ""
            if let line = Self.firstLine(after: "## What you need to do", in: text) {
                DrillText.paragraph("The \(tenant) notice, \"what you need to do\": \(line)", indent: 4).forEach(say)
            }
        }
    }

    func morningAfter() async throws {
        at(day: days, 7)
        heading("Act 8. The morning after (\(label(clock.now())))")
        for tenant in world.tenants {
            var daemon: MailAnswer?
            if let secret = tenant.daemonSecret {
                let token = try await world.oauth.clientCredentials(issuer: tenant.url, clientID: tenant.daemonID, secret: secret)
                daemon = try await world.readMail(at: tenant.frontEnd, mailbox: tenant.users[0].email, token: token,
                                                  userAgent: "\(tenant.daemonID)/1.0")
            }
            var refreshed = 0, signedIn = 0, served = 0
            for user in tenant.users {
                var tokens: DrillOAuth.Tokens
                if let old = sessions[user.email]?.refreshToken,
                   let fresh = try await world.oauth.refresh(issuer: tenant.url, clientID: tenant.webClientID, refreshToken: old) {
                    tokens = fresh
                    refreshed += 1
                } else {
                    tokens = try await world.oauth.signIn(issuer: tenant.url, clientID: tenant.webClientID, username: user.username,
                                                          password: user.password)
                    signedIn += 1
                }
                sessions[user.email] = tokens
                if try await world.readMail(at: tenant.frontEnd, mailbox: nil, token: tokens.accessToken, userAgent: "\(tenant.webClientID)/1.0").served {
                    served += 1
                }
            }
            aftermath.append(StormDrillResult.Aftermath(tenant: tenant.id, applicationWorks: daemon?.served,
                                                        applicationAnswer: daemon?.verdict ?? "none", peopleRefreshed: refreshed,
                                                        peopleSignedInAgain: signedIn, peopleServed: served, people: tenant.users.count))
        }
        table(["Organisation", "Daemon", "People working", "Had to sign in again"], aftermath.map { entry in
            [entry.tenant, entry.applicationWorks.map { $0 ? "works" : "REFUSED" } ?? "n/a (none)", "\(entry.peopleServed) of \(entry.people)",
             "\(entry.peopleSignedInAgain)"]
        })
        paragraph("""
            What legitimate users had to do: nothing in contoso and fabrikam, whose daemons got fresh tokens as usual. In \
            the consumer realm (which has no daemon) the people's refresh tokens descended from tokens signed with the \
            stolen key, so the response cut those chains: their mail app signed them in once more.
            """)
        // The attacker tries again with a fresh forgery.
        guard let attacker else { return }
        let consumers = world.tenant(DrillCast.consumers)
        let victim = consumers.target
        let forgery: DrillAttacker.Forgery
        do {
            forgery = try await attacker.forge(issuer: consumers, grant: .user(victim.subject), now: clock.now())
        } catch let error as SigningError {
            guard case .tokenAccess = attacker.means else { throw error }
            afterResponseSigningRefusal = error.description
            say("  The attacker asks the token to sign a fresh forgery with the stolen key: refused, its private half is destroyed (\(error.description)).")
            return
        }
        let path = MailPath.messages(of: nil)
        var answers: [String] = []
        for frontEnd in FrontEnd.allCases {
            let answer = try await world.get(path, at: frontEnd, token: forgery.token, userAgent: Self.attackerAgent)
            afterResponseAttempts.append(StormDrillResult.Attempt(
                token: "C1", tokenID: forgery.tokenID, claimedIssuer: consumers.id, claimedTenant: consumers.id, mailbox: victim.email,
                path: path, frontEnd: frontEnd.rawValue, status: answer.status, code: answer.code, itemsRead: answer.items, at: clock.now()))
            answers.append("\(frontEnd.title) \(answer.verdict)")
        }
        say("  A fresh forgery with the stolen key for \(victim.email): \(answers.joined(separator: ", ")).")
    }

    /// Signs a checkpoint over the tail of the audit log, as a mail server does on shutdown.
    ///
    /// Its own function so that this typed-throws call (`throws(AuditError)`) is not one of the
    /// drill's untyped `try await`s in a single frame (see `docs/compiler-notes.md`).
    func signCheckpoint() async throws {
        _ = try await world.mail.audit.checkpoint(now: clock.now())
    }

    /// Notice documents per issuer id (named by tenant id, with a suffix only when two issuers
    /// share one; the drill's tenant ids are distinct and none is a prefix of another).
    private func noticeFiles(_ documents: [String]) -> [String: [String]] {
        let names = documents.filter { $0.hasPrefix("notices/") }.map { String($0.dropFirst("notices/".count)) }
        var result: [String: [String]] = [:]
        for tenant in world.tenants {
            let mine = names.filter { $0.hasPrefix(tenant.tenantID) }.sorted()
            if !mine.isEmpty { result[tenant.id] = mine.map { "notices/\($0)" } }
        }
        return result
    }

    /// The incident's own figure (`summary.json`), else computed from the hunt's first finding.
    private func containmentSeconds(summary text: String?, record: IncidentRecord) -> Double? {
        if let text, let summary = try? StrictJSONParser.parseObject(Array(text.utf8)), let seconds = summary["containment_seconds"]?.numberValue {
            return seconds
        }
        guard let revoked = record.keyRevokedAt else { return nil }
        return revoked.timeIntervalSince(attackStart)
    }

    static func firstLine(after heading: String, in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard let index = lines.firstIndex(of: heading), index + 1 < lines.count else { return nil }
        return lines[index + 1]
    }
}

extension Duration {
    var drillSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// When the revocation happened and when the edge first held the key as revoked (real time).
private final class Moments: Sendable {
    private let state = Mutex<(revoked: ContinuousClock.Instant?, seen: ContinuousClock.Instant?)>((nil, nil))

    var revoked: ContinuousClock.Instant? { state.withLock { $0.revoked } }
    var seen: ContinuousClock.Instant? { state.withLock { $0.seen } }
    func markRevoked() { state.withLock { if $0.revoked == nil { $0.revoked = .now } } }
    func markSeen() { state.withLock { if $0.seen == nil { $0.seen = .now } } }

    /// Seconds from the revocation to the edge seeing it (0 if it was seen first, within the polling step).
    var propagation: Double? {
        state.withLock { state in
            guard let revoked = state.revoked, let seen = state.seen else { return nil }
            return max(0, (seen - revoked).drillSeconds)
        }
    }
}
