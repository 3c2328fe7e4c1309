import Foundation

/// What the drill expects of Keybound, checked against what happened.
extension DrillRun {
    func expectations() -> [StormDrillResult.Expectation] {
        var list: [StormDrillResult.Expectation] = []
        func expect(_ name: String, _ held: Bool, _ detail: String) {
            list.append(StormDrillResult.Expectation(name: name, held: held, detail: detail))
        }
        let served = traffic.values.reduce(0) { $0 + $1.requestsServed }
        expect("every ordinary request of the month was served", legitimateRefusals.isEmpty && served > 0,
               "\(served) served, \(legitimateRefusals.count) refused")
        expect("every issuer rotated its key once during the month", rotations == world.tenants.count, "\(rotations) rotations")

        let crossIssuer = attempts.filter { $0.token.hasPrefix("A") }
        expect("every cross-issuer forgery was refused with issuer_key_mismatch, at both front ends",
               !crossIssuer.isEmpty && crossIssuer.allSatisfy { $0.status == 401 && $0.code == "issuer_key_mismatch" },
               "\(crossIssuer.filter { $0.code == "issuer_key_mismatch" }.count) of \(crossIssuer.count)")
        let mainAlerts = world.context.alerts.alerts().filter { $0.code == "issuer_key_mismatch" }.count
        let edgeAlerts = world.edgeAlerts.alerts().filter { $0.code == "issuer_key_mismatch" }.count
        let perFrontEnd = crossIssuer.count / FrontEnd.allCases.count
        expect("every cross-issuer attempt raised an alert", mainAlerts == perFrontEnd && edgeAlerts == perFrontEnd,
               "\(mainAlerts) at Keybound Mail, \(edgeAlerts) at the edge, \(perFrontEnd) attempts each")

        let sameIssuer = forgeries.filter { $0.label.hasPrefix("B") }
        expect("the consumer forgeries are cryptographically valid (Keybound's verifier without the ledger accepts them)",
               !sameIssuer.isEmpty && sameIssuer.allSatisfy { $0.signatureCheck == "verified" },
               sameIssuer.map { "\($0.label): \($0.signatureCheck)" }.joined(separator: ", "))
        expect("Keybound Mail (ledger check) refused every consumer forgery with token_not_issued",
               sameIssuer.allSatisfy { $0.answers[.keyboundMail]?.code == "token_not_issued" },
               sameIssuer.map { "\($0.label): \($0.answers[.keyboundMail]?.verdict ?? "-")" }.joined(separator: ", "))
        let notIssuedAlerts = world.context.alerts.alerts().filter { $0.code == "token_not_issued" }.count
        expect("every consumer forgery refused by the ledger check raised an alert", notIssuedAlerts == sameIssuer.count,
               "\(notIssuedAlerts) alerts")
        expect("the mail edge (no ledger) served every consumer forgery", sameIssuer.allSatisfy { $0.answers[.edge]?.served == true },
               sameIssuer.map { "\($0.label): \($0.answers[.edge]?.verdict ?? "-")" }.joined(separator: ", "))
        expect("the kid-only validator accepted every attacker token", !forgeries.isEmpty && forgeries.allSatisfy { $0.kidOnly.isAccepted },
               "\(forgeries.filter { $0.kidOnly.isAccepted }.count) of \(forgeries.count)")

        let forged = Set(forgedTokenIDs), cross = Set(crossIssuerTokenIDs)
        expect("the hunt found every consumer forgery as a forged token", sameIssuer.allSatisfy { forged.contains($0.tokenID) },
               "\(sameIssuer.filter { forged.contains($0.tokenID) }.count) of \(sameIssuer.count) tokens")
        let servedForgeries = attempts.filter { $0.served }
        expect("the hunt found every request the edge served to the attacker",
               servedForgeries.allSatisfy { forged.contains($0.tokenID) } && (findings["forged_token"] ?? 0) == sameIssuer.count * 2,
               "\(servedForgeries.count) served, forged_token findings: \(findings["forged_token"] ?? 0)")
        expect("the hunt found every cross-issuer attempt", (findings["cross_issuer_key"] ?? 0) == crossIssuer.count
               && forgeries.filter { $0.label.hasPrefix("A") }.allSatisfy { cross.contains($0.tokenID) },
               "cross_issuer_key findings: \(findings["cross_issuer_key"] ?? 0) of \(crossIssuer.count)")
        expect("the hunt flagged no ordinary request", falsePositives == 0, "\(falsePositives) false positives")
        expect("the new application is a lead, not a finding",
               newApplicationServed && leads.contains { $0.clientID == DrillCast.newApplication && !$0.isAttacker },
               leads.map { "\($0.clientID) → \($0.mailbox)" }.joined(separator: ", "))

        if let incident {
            let keys = (try? world.manager.keys(issuerID: DrillCast.consumers)) ?? []
            let revoked = keys.first { $0.keyID == stolenKeyID }?.state == .revoked
            let fresh = keys.first { $0.keyID == incident.freshKeyID }?.state == .active
            expect("the incident closed with the key revoked and a fresh key active", incident.closed && revoked && fresh,
                   "\(incident.id): \(incident.steps.joined(separator: ", "))")
            let noticed = Set(incident.notices.keys)
            expect("a notice was written for every attacked organisation (consumers, contoso, fabrikam)",
                   noticed.isSuperset(of: [DrillCast.consumers, DrillCast.contoso, DrillCast.fabrikam]),
                   noticed.sorted().joined(separator: ", "))
            expect("the mail edge learned of the revocation within 5 s (push channel)",
                   (incident.edgePropagationSeconds ?? .infinity) < 5,
                   incident.edgePropagationSeconds.map { String(format: "%.3f s", $0) } ?? "not seen")
        } else {
            expect("the incident response ran", false, "no incident")
        }
        expect("after the response, every organisation's daemon and people work with fresh tokens",
               aftermath.count == world.tenants.count && aftermath.allSatisfy { $0.applicationWorks && $0.peopleServed == $0.people },
               aftermath.map { "\($0.tenant): daemon \($0.applicationAnswer), \($0.peopleServed)/\($0.people)" }.joined(separator: "; "))
        expect("enterprise people had nothing to do (their refresh tokens kept working)",
               aftermath.filter { $0.tenant != DrillCast.consumers }.allSatisfy { $0.peopleSignedInAgain == 0 },
               aftermath.map { "\($0.tenant): \($0.peopleSignedInAgain) signed in again" }.joined(separator: "; "))
        expect("after the response, the stolen key's tokens are refused with key_revoked at both front ends",
               afterResponseAttempts.count == FrontEnd.allCases.count && afterResponseAttempts.allSatisfy { $0.code == "key_revoked" },
               afterResponseAttempts.map { "\($0.frontEnd): \($0.code ?? "served")" }.joined(separator: ", "))
        return list
    }
}
