import Foundation
import Keybound
import KeyboundMail
@_spi(Plumbing) import KeyboundServer

/// Acts 2, 3 and 5: the theft, the cross-issuer forgeries, the same-issuer forgeries, and what a
/// kid-only validator would have made of them. (Act 4, the tenant-crossing forgeries, is in
/// `DrillRun+TenantCrossing.swift`.)
extension DrillRun {
    static let attackerAgent = "attacker-script/1.0"

    func theft() async throws {
        at(day: days, 0, 50)
        let inToken = try await world.manager.issuer(id: DrillCast.consumers).custody == .pkcs11
        let signer = try await world.manager.signer(issuerID: DrillCast.consumers)
        let key = signer.key
        stolenKeyID = key.keyID
        attacker = DrillAttacker(means: inToken ? .tokenAccess(signer) : .copiedKey(try await world.manager.signingKey(issuerID: DrillCast.consumers)))
        var keySets: [JSONObject] = []
        for tenant in world.tenants {
            let reply = try await world.http.get(tenant.url + "/jwks")
            guard let keySet = reply.json else { throw StormDrillError("no JWKS at \(tenant.url)/jwks (\(reply.status))") }
            keySets.append(keySet)
        }
        kidOnly = KidOnlyValidator(keySets: keySets)
        heading("Act 2. The theft (\(label(clock.now())))")
        if inToken {
            paragraph("""
                The consumer realm's active signing key (kid \(key.keyID), \(key.algorithm.rawValue)) is inside a PKCS#11 token \
                and cannot be copied. So the attacker takes the next best thing: control of a provider host, from which the \
                token signs whatever it is handed, for as long as the control lasts. The token signs bytes, not issuers: \
                only the verifier can stop the forgery.
                """)
            return
        }
        paragraph("""
            The attacker obtains the consumer realm's active signing key (kid \(key.keyID), \(key.algorithm.rawValue)). How the 2023 \
            key leaked is still unknown (Microsoft withdrew its crash-dump theory in 2024): assume any key can leak. A Keybound \
            signing key refuses to sign for another issuer, but that protects honest code only: holding the key bytes, the \
            attacker relabels them for any issuer. Only the verifier can stop the forgery.
            """)
    }

    func crossIssuerForgeries() async throws {
        heading("Act 3. Forged enterprise tokens: the Storm-0558 forgery")
        paragraph("""
            Tokens that claim to come from contoso and fabrikam, signed with the stolen consumer key and aimed at the \
            executives: an application token with Mail.Read.All, and a token in the executive's own name.
            """)
        var minute = 0
        for tenant in world.tenants where tenant.isEnterprise {
            let target = tenant.target
            for delegated in [false, true] {
                at(day: days, 1, minute)
                minute += 2
                try await use(label: "A\(forgeries.count + 1)", issuer: tenant,
                              grant: delegated ? .user(target.subject) : .readAllMail,
                              clientID: delegated ? tenant.webClientID : DrillAttacker.clientID,
                              path: MailPath.messages(of: delegated ? nil : target.email), mailbox: target.email,
                              claims: delegated ? "\(target.username) of \(tenant.id) (delegated)" : "a \(tenant.id) app, Mail.Read.All")
            }
        }
        let crossIssuer = forgeries.filter { $0.label.hasPrefix("A") }
        table(["Token", "Claims to be", "Aimed at"] + FrontEnd.allCases.map(\.title), crossIssuer.map { forgery in
            [forgery.label, forgery.claims, forgery.aimedAt] + FrontEnd.allCases.map { forgery.answers[$0]!.verdict }
        })
        let alerts = FrontEnd.allCases.map { frontEnd in
            "\(world.alerts(of: frontEnd).filter { $0.code == "issuer_key_mismatch" }.count) at \(frontEnd == .keyboundMail ? "Keybound Mail" : "the \(frontEnd.title.lowercased())")"
        }
        paragraph("""
            Refused at every front end with issuer_key_mismatch: the key belongs to consumers, not to the issuer the token \
            names, and Keybound finds keys by (issuer, kid), never by kid alone; the legacy validator skips only the \
            issuance check, not this one. Each attempt raised an alert within the request: \(alerts.joined(separator: ", ")).
            """)
    }

    func sameIssuerForgeries() async throws {
        heading("Act 5. Forged consumer tokens: perfect signatures")
        paragraph("""
            The same key where it does belong: consumer tokens for Alice's and Bob's mail, and an application token for \
            Chloe's. The signatures are genuine. Keybound Mail asks the issuance ledger; the edge, in another process, holds the \
            provider's issuance feed. The legacy validator, its check skipped, cannot tell.
            """)
        let consumers = world.tenant(DrillCast.consumers)
        for (index, user) in consumers.users.enumerated() {
            at(day: days, 1, 16 + 2 * index)
            let delegated = index < 2
            try await use(label: "B\(index + 1)", issuer: consumers, grant: delegated ? .user(user.subject) : .readAllMail,
                          path: MailPath.messages(of: delegated ? nil : user.email), mailbox: user.email,
                          claims: delegated ? "\(user.username) (delegated)" : "a consumers app, Mail.Read.All")
        }
        let sameIssuer = forgeries.filter { $0.label.hasPrefix("B") }
        table(["Token", "Claims to be", "Aimed at", "Signature"] + FrontEnd.allCases.map(\.title), sameIssuer.map { forgery in
            [forgery.label, forgery.claims, forgery.aimedAt, forgery.signatureCheck == "verified" ? "valid" : forgery.signatureCheck]
                + FrontEnd.allCases.map { frontEnd in
                    let answer = forgery.answers[frontEnd]!
                    return answer.served ? "served (\(answer.items) messages)" : answer.verdict
                }
        })
        let served = sameIssuer.filter { $0.answers[.legacy]!.served }
        let refusedAtLegacy = sameIssuer.filter { !$0.answers[.legacy]!.served }
        let edgeRefused = sameIssuer.filter { $0.answers[.edge]!.code == "token_not_issued" }.count
        paragraph("""
            Keybound Mail refuses them (token_not_issued, each an alert), and so does the edge (\(edgeRefused) of \(sameIssuer.count)), \
            without a round trip per request. The legacy validator served \(served.count) of \(sameIssuer.count), \
            \(served.reduce(0) { $0 + $1.answers[.legacy]!.items }) messages: the damage the hunt has to find.
            """ + (refusedAtLegacy.isEmpty ? "" : " " + Self.legacyRefusals(refusedAtLegacy)))
    }

    /// Why the legacy validator refused some consumer forgeries although it checks no issuance.
    private static func legacyRefusals(_ refused: [ForgedToken]) -> String {
        let labels = refused.map(\.label).joined(separator: ", ")
        let codes = Set(refused.map { $0.answers[.legacy]!.verdict }).sorted().joined(separator: ", ")
        guard codes == "consumer_realm_role" else { return "The legacy validator refused \(labels): \(codes)." }
        return """
            The legacy validator refused \(labels) (consumer_realm_role): a consumer realm has no tenant-wide roles, so no \
            consumer token may carry Mail.Read.All, however perfect its signature. That rule needs no ledger.
            """
    }

    func kidOnlyComparison() {
        heading("What a kid-only validator would have accepted")
        paragraph("""
            The validator of 2023, reduced to its mistake (written into this drill only to show it; it is not Keybound \
            API): every issuer's JWKS merged into one key set, the key found by kid alone, then only the signature and \
            the expiry checked.
            """)
        table(["Token", "Claims issuer", "Kid-only validator", "Keybound verifier"] + FrontEnd.allCases.map(\.title), forgeries.map { forgery in
            let kidOnly: String = switch forgery.kidOnly {
            case .accepted: "ACCEPTED"
            case .rejected(let why): "rejected (\(why))"
            }
            return [forgery.label, forgery.claimedIssuer, kidOnly, forgery.signatureCheck] + FrontEnd.allCases.map { forgery.answers[$0]!.verdict }
        })
        let accepted = forgeries.filter { $0.kidOnly.isAccepted }.count
        let refusedByMail = forgeries.filter { !$0.answers[.keyboundMail]!.served }.count
        let refusedByEdge = forgeries.filter { !$0.answers[.edge]!.served }.count
        paragraph("""
            The kid-only validator accepts \(accepted) of \(forgeries.count) forged tokens, the enterprise ones included. \
            Keybound Mail refuses \(refusedByMail) of \(forgeries.count), the edge \(refusedByEdge). ("Keybound verifier" is the \
            signature, issuer and tenant check alone, without the ledger: it lets the consumer forgeries through, as it must.)
            """)
    }

    /// Forges one token, judges it with the kid-only validator and Keybound's plain verifier, and
    /// presents it to every front end (`GET path`).
    ///
    /// - Parameters:
    ///   - issuer: The organisation whose `iss` the token claims.
    ///   - tenant: The organisation whose `tid` it carries; by default the issuer itself.
    ///   - mailbox: The existing mailbox aimed at, if any (for the record).
    ///   - aimedAt: What the request is after, for tables; by default the mailbox.
    ///   - claims: What the token claims to be, for tables.
    @discardableResult
    func use(label: String, issuer: DrillTenant, naming tenant: DrillTenant? = nil, grant: DrillAttacker.Grant,
             clientID: String = DrillAttacker.clientID, path: String, mailbox: String?, aimedAt: String? = nil,
             claims: String) async throws -> ForgedToken {
        guard let attacker, let kidOnly else { throw StormDrillError("the attacker has no key") }
        attackStart = min(attackStart, clock.now())
        let named = tenant ?? issuer
        let forgery = try await attacker.forge(issuer: issuer, tenantID: named.tenantID, grant: grant, clientID: clientID, now: clock.now())
        var answers: [FrontEnd: MailAnswer] = [:]
        for frontEnd in FrontEnd.allCases {
            let answer = try await world.get(path, at: frontEnd, token: forgery.token, userAgent: Self.attackerAgent)
            answers[frontEnd] = answer
            attempts.append(StormDrillResult.Attempt(token: label, tokenID: forgery.tokenID, claimedIssuer: issuer.id,
                                                     claimedTenant: named.id, mailbox: mailbox, path: path,
                                                     frontEnd: frontEnd.rawValue, status: answer.status, code: answer.code,
                                                     itemsRead: answer.items, at: clock.now()))
        }
        let signatureCheck = try await plainVerdict(forgery.token)
        let judged = ForgedToken(label: label, claimedIssuer: issuer.id, claimedTenant: named.id, tokenID: forgery.tokenID,
                                 token: forgery.token, claims: claims, aimedAt: aimedAt ?? mailbox ?? path,
                                 isApplication: grant.isApplication, at: clock.now(),
                                 kidOnly: kidOnly.validate(forgery.token, now: clock.now()),
                                 signatureCheck: signatureCheck, answers: answers)
        forgeries.append(judged)
        return judged
    }

    /// Keybound's verifier over the provider's own per-issuer trust, without the ledger check.
    func plainVerdict(_ token: String) async throws -> String {
        let verifier = TokenVerifier(trust: try await world.context.keys.currentTrust().trust, policy: MailService.policy(),
                                     clock: VerificationClock(clock.reader))
        switch verifier.verify(token) {
        case .verified: return "verified"
        case .rejected(let rejection): return rejection.code.rawValue
        }
    }
}
