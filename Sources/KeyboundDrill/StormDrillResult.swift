import Foundation

/// What the drill did and saw, for tests and `--json`. ``passed`` says whether every expectation held.
package struct StormDrillResult: Sendable {
    /// One thing the drill expects of Keybound, and whether it held.
    package struct Expectation: Sendable {
        /// What is expected.
        package let name: String
        /// Whether it held.
        package let held: Bool
        /// The numbers behind it.
        package let detail: String
    }

    /// One organisation's ordinary traffic over the simulated month.
    package struct Traffic: Sendable {
        /// The issuer id.
        package let tenant: String
        /// Tokens the provider issued to its people and applications.
        package var tokensIssued = 0
        /// Mail requests served.
        package var requestsServed = 0
        /// Mail requests refused (none expected).
        package var requestsRefused = 0
        /// Messages listed in served requests.
        package var itemsRead = 0
    }

    /// One attacker request and the answer of one front end.
    package struct Attempt: Sendable {
        /// The token's label (`A1`…: cross-issuer, `T1`…: the consumer issuer naming an enterprise
        /// tenant, `B1`…: same issuer, `C1`: after the response).
        package let token: String
        /// The token's `jti`.
        package let tokenID: String
        /// The issuer id the token claims (`iss`).
        package let claimedIssuer: String
        /// The organisation whose tenant id the token carries (`tid`): the claimed issuer's own,
        /// except for the tenant-crossing tokens `T…`.
        package let claimedTenant: String
        /// The existing mailbox aimed at, or `nil` (the audit feed, or a mailbox first use would create).
        package let mailbox: String?
        /// The request's path (`/users/…/messages`, `/me/messages`, `/audit/records`), query included.
        package let path: String
        /// `keybound_mail`, `mail_edge` or `legacy_validator`.
        package let frontEnd: String
        /// The HTTP status.
        package let status: Int
        /// The refusal code (`keybound_code`), or `nil` when served.
        package let code: String?
        /// Messages (or audit records) returned.
        package let itemsRead: Int
        /// Simulated time of the request.
        package let at: Date
        /// Whether the request was served.
        package var served: Bool { status == 200 }
    }

    /// One attacker token as three validators judge it.
    package struct Verdict: Sendable {
        /// The token's label.
        package let token: String
        /// The issuer id the token claims.
        package let claimedIssuer: String
        /// Whether the kid-only validator (the 2023 anti-pattern) accepted it.
        package let kidOnlyAccepted: Bool
        /// Keybound's verifier with the provider's per-issuer trust and no ledger: `verified` or the code.
        package let keyboundSignatureCheck: String
        /// Keybound Mail's answer: `served` or the code.
        package let keyboundMail: String
        /// The mail edge's answer: `served` or the code.
        package let mailEdge: String
        /// The legacy validator's answer (the issuance check skipped): `served` or the code.
        package let legacyValidator: String
    }

    /// A first-time-access lead of the hunt (a lead, not a verdict).
    package struct Lead: Sendable {
        /// The application.
        package let clientID: String
        /// The mailbox it read for the first time.
        package let mailbox: String
        /// Whether the request came from the attacker.
        package let isAttacker: Bool
    }

    /// What the incident response did.
    package struct Incident: Sendable {
        /// The incident id.
        package let id: String
        /// Whether every step completed.
        package let closed: Bool
        /// The steps completed, in order.
        package let steps: [String]
        /// The incident folder (gone when the data directory was removed).
        package let folder: String
        /// Notice files written, by issuer id of the organisation (`notices/<tid>.md`).
        package let notices: [String: [String]]
        /// The organisations (issuer ids) whose data the attacker reached or that a verified
        /// attacker token targeted, from the audit log: those a notice must go to.
        package let mustNotify: [String]
        /// From the first malicious request to the key's revocation, simulated seconds.
        package let containmentSeconds: Double?
        /// Tokens signed with the key that were revoked, and refresh chains cut.
        package let tokensRevoked: Int, chainsRevoked: Int
        /// The issuer's new active key.
        package let freshKeyID: String?
        /// Real time the command took.
        package let commandSeconds: Double
        /// Real time until the mail edge held the key as revoked (push channel).
        package let edgePropagationSeconds: Double?
    }

    /// What the tenant-crossing forgeries (`T…`) left behind, read from the stores themselves.
    package struct TenantBoundary: Sendable {
        /// Mailboxes of the consumer issuer filed under an enterprise tenant's id (addresses; none expected).
        package let squattedMailboxes: [String]
        /// Per enterprise issuer id: the records of that tenant's own audit feed, (issuer, tid),
        /// after the act (its month of traffic).
        package let feedRecords: [String: Int]
        /// Per enterprise issuer id: records of that tenant's own audit feed that carry the `jti`
        /// of a tenant-crossing forgery (0 expected).
        package let attemptsInFeeds: [String: Int]
        /// Per enterprise issuer id: the records a feed selected by `tid` alone would have held when
        /// the forgery asked for it (what the pair keeps from the consumer key).
        package let tidOnlyFeedRecords: [String: Int]
    }

    /// One check after the response.
    package struct Aftermath: Sendable {
        /// The issuer id.
        package let tenant: String
        /// The daemon's fresh token was served; `nil` when the organisation has no daemon (a
        /// consumer realm has no tenant-wide roles).
        package let applicationWorks: Bool?
        /// The daemon's answer: `served`, the refusal code, or `none` (no daemon).
        package let applicationAnswer: String
        /// People whose mail app still refreshed its token.
        package let peopleRefreshed: Int
        /// People who had to sign in again (their refresh chain came from the stolen key).
        package let peopleSignedInAgain: Int
        /// People whose own mail was served afterwards.
        package let peopleServed: Int
        /// People.
        package let people: Int
    }

    /// Days of ordinary traffic.
    package let days: Int
    /// The simulated start and the attack's first request.
    package let simulatedStart: Date, attackStart: Date
    /// The kept data directory, or `nil` when it was removed.
    package let dataDirectory: String?
    /// The stolen key's `kid` (of the `consumers` issuer).
    package let stolenKeyID: String
    /// Ordinary traffic per organisation.
    package let traffic: [Traffic]
    /// Key rotations completed during the month (one per issuer expected).
    package let rotations: Int
    /// Every attacker request.
    package let attempts: [Attempt]
    /// Every attacker token before the response, judged three ways.
    package let verdicts: [Verdict]
    /// What the tenant-crossing forgeries left behind.
    package let tenantBoundary: TenantBoundary
    /// Alerts raised, per front end (`keybound_mail`, `mail_edge`, `legacy_validator`) and code.
    package let alerts: [String: [String: Int]]
    /// The hunt's malicious findings per kind (`forged_token`, `cross_issuer_key`, …).
    package let findings: [String: Int]
    /// `jti`s the hunt reported as forged tokens.
    package let forgedTokenIDs: [String]
    /// `jti`s the hunt reported as cross-issuer keys.
    package let crossIssuerTokenIDs: [String]
    /// Findings about requests that were not the attacker's (false positives; 0 expected).
    package let falsePositives: Int
    /// First-time-access leads.
    package let leads: [Lead]
    /// The hunt's first-time look-back, in days.
    package let lookbackDays: Int
    /// The incident response.
    package let incident: Incident
    /// After the response, per organisation.
    package let aftermath: [Aftermath]
    /// Every expectation and whether it held.
    package let expectations: [Expectation]
    /// Real seconds the whole drill took.
    package let runtimeSeconds: Double

    /// Whether every expectation held.
    package var passed: Bool { expectations.allSatisfy(\.held) }
    /// The expectations that did not hold.
    package var failures: [Expectation] { expectations.filter { !$0.held } }
}
