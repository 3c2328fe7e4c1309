import Foundation
import KeyboundStore

/// What the drill expects of Keybound, checked against what happened.
extension DrillRun {
    /// `consumerKeys` are the consumer realm's keys as the world left them (read before it stopped).
    func expectations(consumerKeys: [KeyRecord]) -> [StormDrillResult.Expectation] {
        var list: [StormDrillResult.Expectation] = []
        func expect(_ name: String, _ held: Bool, _ detail: String) {
            list.append(StormDrillResult.Expectation(name: name, held: held, detail: detail))
        }
        let served = traffic.values.reduce(0) { $0 + $1.requestsServed }
        expect("every ordinary request of the month was served", legitimateRefusals.isEmpty && served > 0,
               "\(served) served, \(legitimateRefusals.count) refused")
        expect("every issuer rotated its key once during the month", rotations == world.tenants.count, "\(rotations) rotations")

        let crossIssuer = attempts.filter { $0.token.hasPrefix("A") }
        expect("every cross-issuer forgery was refused with issuer_key_mismatch, at every front end",
               !crossIssuer.isEmpty && crossIssuer.allSatisfy { $0.status == 401 && $0.code == "issuer_key_mismatch" },
               "\(crossIssuer.filter { $0.code == "issuer_key_mismatch" }.count) of \(crossIssuer.count)")
        let perFrontEnd = crossIssuer.count / FrontEnd.allCases.count
        let mismatchAlerts = FrontEnd.allCases.map { frontEnd in (frontEnd, world.alerts(of: frontEnd).filter { $0.code == "issuer_key_mismatch" }.count) }
        expect("every cross-issuer attempt raised an alert", mismatchAlerts.allSatisfy { $0.1 == perFrontEnd },
               mismatchAlerts.map { "\($0.1) at \($0.0.rawValue)" }.joined(separator: ", ") + ", \(perFrontEnd) attempts each")
        tenantCrossingExpectations(expect)

        let sameIssuer = forgeries.filter { $0.label.hasPrefix("B") }
        expect("the consumer forgeries are cryptographically valid (Keybound's verifier without the ledger accepts them)",
               !sameIssuer.isEmpty && sameIssuer.allSatisfy { $0.signatureCheck == "verified" },
               sameIssuer.map { "\($0.label): \($0.signatureCheck)" }.joined(separator: ", "))
        expect("Keybound Mail (ledger check) refused every consumer forgery with token_not_issued",
               sameIssuer.allSatisfy { $0.answers[.keyboundMail]?.code == "token_not_issued" },
               sameIssuer.map { "\($0.label): \($0.answers[.keyboundMail]?.verdict ?? "-")" }.joined(separator: ", "))
        expect("the mail edge (issuance feed) refused every consumer forgery with token_not_issued, as Keybound Mail does",
               sameIssuer.allSatisfy { $0.answers[.edge]?.status == 401 && $0.answers[.edge]?.code == "token_not_issued" },
               sameIssuer.map { "\($0.label): \($0.answers[.edge]?.verdict ?? "-")" }.joined(separator: ", "))
        let notIssuedAlerts = [FrontEnd.keyboundMail, .edge].map { world.alerts(of: $0).filter { $0.code == "token_not_issued" }.count }
        expect("every consumer forgery refused as never issued raised an alert, at Keybound Mail and at the edge",
               notIssuedAlerts.allSatisfy { $0 == sameIssuer.count }, "\(notIssuedAlerts[0]) and \(notIssuedAlerts[1]) alerts")
        let delegated = sameIssuer.filter { !$0.isApplication }, application = sameIssuer.filter(\.isApplication)
        expect("the legacy validator (issuance check skipped) served the delegated consumer forgeries and refused the application one with consumer_realm_role",
               !delegated.isEmpty && delegated.allSatisfy { $0.answers[.legacy]?.served == true }
               && !application.isEmpty && application.allSatisfy { $0.answers[.legacy]?.status == 403 && $0.answers[.legacy]?.code == "consumer_realm_role" },
               sameIssuer.map { "\($0.label): \($0.answers[.legacy]?.verdict ?? "-")" }.joined(separator: ", "))
        expect("the kid-only validator accepted every attacker token", !forgeries.isEmpty && forgeries.allSatisfy { $0.kidOnly.isAccepted },
               "\(forgeries.filter { $0.kidOnly.isAccepted }.count) of \(forgeries.count)")

        let forged = Set(forgedTokenIDs), cross = Set(crossIssuerTokenIDs)
        expect("the hunt found every consumer forgery as a forged token", sameIssuer.allSatisfy { forged.contains($0.tokenID) },
               "\(sameIssuer.filter { forged.contains($0.tokenID) }.count) of \(sameIssuer.count) tokens")
        // A forged-token finding is a record of a consumer forgery that was served, or refused by the ledger check.
        let servedForgeries = attempts.filter { $0.served }
        let forgedRecords = attempts.filter { $0.token.hasPrefix("B") && ($0.served || $0.code == "token_not_issued") }
        expect("the hunt found every request served to the attacker and every ledger refusal, as forged tokens",
               !servedForgeries.isEmpty && servedForgeries.allSatisfy { forged.contains($0.tokenID) && isFinding($0) }
               && forgedRecords.allSatisfy(isFinding) && (findings["forged_token"] ?? 0) == forgedRecords.count,
               "\(servedForgeries.count) served, \(forgedRecords.count) such requests, forged_token findings: \(findings["forged_token"] ?? 0)")
        expect("the hunt found every cross-issuer attempt", (findings["cross_issuer_key"] ?? 0) == crossIssuer.count
               && forgeries.filter { $0.label.hasPrefix("A") }.allSatisfy { cross.contains($0.tokenID) },
               "cross_issuer_key findings: \(findings["cross_issuer_key"] ?? 0) of \(crossIssuer.count)")
        let outside = refusalsOutsideFindings
        expect("every attacker request that is not a finding is in the hunt's trace of the key (by refusal code)",
               outside["served"] == nil && outside.allSatisfy { tracedRefusals[$0.key] ?? 0 >= $0.value },
               outside.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) requests, \(tracedRefusals[$0.key] ?? 0) traced" }
                   .joined(separator: ", "))
        expect("the hunt flagged no ordinary request", falsePositives == 0, "\(falsePositives) false positives")
        expect("the new application is a lead, not a finding",
               newApplicationServed && leads.contains { $0.clientID == DrillCast.newApplication && !$0.isAttacker },
               leads.map { "\($0.clientID) → \($0.mailbox)" }.joined(separator: ", "))

        if let incident {
            let keys = consumerKeys
            let revoked = keys.first { $0.keyID == stolenKeyID }?.state == .revoked
            let fresh = keys.first { $0.keyID == incident.freshKeyID }?.state == .active
            expect("the incident closed with the key revoked and a fresh key active", incident.closed && revoked && fresh,
                   "\(incident.id): \(incident.steps.joined(separator: ", "))")
            // Notices go where the audit log shows, from verified records, the attacker reached or
            // targeted an organisation; a refused token's tid is only a claim.
            let noticed = Set(incident.notices.keys)
            expect("a notice was written for every organisation whose data the attacker reached or that a verified token targeted",
                   !incident.mustNotify.isEmpty && noticed.isSuperset(of: incident.mustNotify),
                   "needed: \(incident.mustNotify.joined(separator: ", ")); written: \(noticed.sorted().joined(separator: ", "))")
            expect("the mail edge learned of the revocation within 5 s (push channel)",
                   (incident.edgePropagationSeconds ?? .infinity) < 5,
                   incident.edgePropagationSeconds.map { String(format: "%.3f s", $0) } ?? "not seen")
        } else {
            expect("the incident response ran", false, "no incident")
        }
        let daemonsAsCast = aftermath.allSatisfy { entry in
            world.tenant(entry.tenant).daemonSecret == nil ? entry.applicationWorks == nil : entry.applicationWorks == true
        }
        expect("after the response, every enterprise daemon and all people work with fresh tokens",
               aftermath.count == world.tenants.count && daemonsAsCast && aftermath.allSatisfy { $0.peopleServed == $0.people },
               aftermath.map { "\($0.tenant): daemon \($0.applicationAnswer), \($0.peopleServed)/\($0.people)" }.joined(separator: "; "))
        expect("enterprise people had nothing to do (their refresh tokens kept working)",
               aftermath.filter { $0.tenant != DrillCast.consumers }.allSatisfy { $0.peopleSignedInAgain == 0 },
               aftermath.map { "\($0.tenant): \($0.peopleSignedInAgain) signed in again" }.joined(separator: "; "))
        if case .tokenAccess? = attacker?.means {
            let stolen = consumerKeys.first { $0.keyID == stolenKeyID }
            expect("after the response, the token signs nothing more with the stolen key: its private half was destroyed there",
                   afterResponseSigningRefusal != nil && stolen?.privateKeyDestroyedAt != nil,
                   "\(afterResponseSigningRefusal ?? "the token still signed"); destroyed at \(stolen?.privateKeyDestroyedAt.map { "\($0)" } ?? "never")")
        } else {
            expect("after the response, the stolen key's tokens are refused with key_revoked at every front end",
                   afterResponseAttempts.count == FrontEnd.allCases.count && afterResponseAttempts.allSatisfy { $0.code == "key_revoked" },
                   afterResponseAttempts.map { "\($0.frontEnd): \($0.code ?? "served")" }.joined(separator: ", "))
        }
        return list
    }

    /// Act 4: every tenant-crossing forgery refused with `tenant_mismatch`, and nothing of the
    /// enterprises' reached: no mailbox squatted, no record of the attempts in their feeds.
    private func tenantCrossingExpectations(_ expect: (String, Bool, String) -> Void) {
        let crossing = attempts.filter { $0.token.hasPrefix("T") }
        let enterprises = world.tenants.filter(\.isEnterprise)
        let tokens = Set(crossing.map(\.tokenID)).count
        expect("every consumer token naming an enterprise tenant was refused with tenant_mismatch, at every front end",
               tokens == 3 * enterprises.count && crossing.count == tokens * FrontEnd.allCases.count
               && crossing.allSatisfy { $0.status == 401 && $0.code == "tenant_mismatch" && $0.itemsRead == 0 },
               "\(crossing.count { $0.code == "tenant_mismatch" }) of \(crossing.count) requests (\(tokens) tokens)")
        let squatted = tenantBoundary.squattedMailboxes
        expect("no mailbox was created for the consumer issuer in an enterprise tenant", squatted.isEmpty,
               squatted.isEmpty ? "none in the mail store" : squatted.joined(separator: ", "))
        let feeds = enterprises.map { ($0.id, tenantBoundary.feedRecords[$0.id] ?? 0, tenantBoundary.attemptsInFeeds[$0.id]) }
        expect("no enterprise tenant's own audit feed holds a request of those tokens",
               feeds.allSatisfy { $0.1 > 0 && $0.2 == 0 },
               feeds.map { "\($0.0): \($0.2.map(String.init) ?? "not read") of \($0.1) records" }.joined(separator: ", "))
    }
}
