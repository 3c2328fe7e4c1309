import Foundation

/// What the drill did and saw, for tests and `--json`. ``passed`` says whether every expectation held.
public struct StormDrillResult: Sendable {
    /// One thing the drill expects of Keybound, and whether it held.
    public struct Expectation: Sendable {
        /// What is expected.
        public let name: String
        /// Whether it held.
        public let held: Bool
        /// The numbers behind it.
        public let detail: String
    }

    /// One organisation's ordinary traffic over the simulated month.
    public struct Traffic: Sendable {
        /// The issuer id.
        public let tenant: String
        /// Tokens the provider issued to its people and applications.
        public var tokensIssued = 0
        /// Mail requests served.
        public var requestsServed = 0
        /// Mail requests refused (none expected).
        public var requestsRefused = 0
        /// Messages listed in served requests.
        public var itemsRead = 0
    }

    /// One attacker request and the answer of one front end.
    public struct Attempt: Sendable {
        /// The token's label (`A1`…: cross-issuer, `T1`…: the consumer issuer naming an enterprise
        /// tenant, `B1`…: same issuer, `C1`: after the response).
        public let token: String
        /// The token's `jti`.
        public let tokenID: String
        /// The issuer id the token claims (`iss`).
        public let claimedIssuer: String
        /// The organisation whose tenant id the token carries (`tid`): the claimed issuer's own,
        /// except for the tenant-crossing tokens `T…`.
        public let claimedTenant: String
        /// The existing mailbox aimed at, or `nil` (the audit feed, or a mailbox first use would create).
        public let mailbox: String?
        /// The request's path (`/users/…/messages`, `/me/messages`, `/audit/records`), query included.
        public let path: String
        /// `keybound_mail` or `mail_edge`.
        public let frontEnd: String
        /// The HTTP status.
        public let status: Int
        /// The refusal code (`keybound_code`), or `nil` when served.
        public let code: String?
        /// Messages (or audit records) returned.
        public let itemsRead: Int
        /// Simulated time of the request.
        public let at: Date
        /// Whether the request was served.
        public var served: Bool { status == 200 }
    }

    /// One attacker token as three validators judge it.
    public struct Verdict: Sendable {
        /// The token's label.
        public let token: String
        /// The issuer id the token claims.
        public let claimedIssuer: String
        /// Whether the kid-only validator (the 2023 anti-pattern) accepted it.
        public let kidOnlyAccepted: Bool
        /// Keybound's verifier with the provider's per-issuer trust and no ledger: `verified` or the code.
        public let keyboundSignatureCheck: String
        /// Keybound Mail's answer: `served` or the code.
        public let keyboundMail: String
        /// The mail edge's answer: `served` or the code.
        public let mailEdge: String
    }

    /// A first-time-access lead of the hunt (a lead, not a verdict).
    public struct Lead: Sendable {
        /// The application.
        public let clientID: String
        /// The mailbox it read for the first time.
        public let mailbox: String
        /// Whether the request came from the attacker.
        public let isAttacker: Bool
    }

    /// What the incident response did.
    public struct Incident: Sendable {
        /// The incident id.
        public let id: String
        /// Whether every step completed.
        public let closed: Bool
        /// The steps completed, in order.
        public let steps: [String]
        /// The incident folder (gone when the data directory was removed).
        public let folder: String
        /// Notice files written, by issuer id of the organisation (`notices/<tid>.md`).
        public let notices: [String: [String]]
        /// The organisations (issuer ids) whose data the attacker reached or that a verified
        /// attacker token targeted, from the audit log: those a notice must go to.
        public let mustNotify: [String]
        /// From the first malicious request to the key's revocation, simulated seconds.
        public let containmentSeconds: Double?
        /// Tokens signed with the key that were revoked, and refresh chains cut.
        public let tokensRevoked: Int, chainsRevoked: Int
        /// The issuer's new active key.
        public let freshKeyID: String?
        /// Real time the command took.
        public let commandSeconds: Double
        /// Real time until the mail edge held the key as revoked (push channel).
        public let edgePropagationSeconds: Double?
    }

    /// What the tenant-crossing forgeries (`T…`) left behind, read from the stores themselves.
    public struct TenantBoundary: Sendable {
        /// Mailboxes of the consumer issuer filed under an enterprise tenant's id (addresses; none expected).
        public let squattedMailboxes: [String]
        /// Per enterprise issuer id: the records of that tenant's own audit feed, (issuer, tid),
        /// after the act (its month of traffic).
        public let feedRecords: [String: Int]
        /// Per enterprise issuer id: records of that tenant's own audit feed that carry the `jti`
        /// of a tenant-crossing forgery (0 expected).
        public let attemptsInFeeds: [String: Int]
        /// Per enterprise issuer id: the records a feed selected by `tid` alone would have held when
        /// the forgery asked for it (what the pair keeps from the consumer key).
        public let tidOnlyFeedRecords: [String: Int]
    }

    /// One check after the response.
    public struct Aftermath: Sendable {
        /// The issuer id.
        public let tenant: String
        /// The daemon's fresh token was served; `nil` when the organisation has no daemon (a
        /// consumer realm has no tenant-wide roles).
        public let applicationWorks: Bool?
        /// The daemon's answer: `served`, the refusal code, or `none` (no daemon).
        public let applicationAnswer: String
        /// People whose mail app still refreshed its token.
        public let peopleRefreshed: Int
        /// People who had to sign in again (their refresh chain came from the stolen key).
        public let peopleSignedInAgain: Int
        /// People whose own mail was served afterwards.
        public let peopleServed: Int
        /// People.
        public let people: Int
    }

    /// Days of ordinary traffic.
    public let days: Int
    /// The simulated start and the attack's first request.
    public let simulatedStart: Date, attackStart: Date
    /// The kept data directory, or `nil` when it was removed.
    public let dataDirectory: String?
    /// The stolen key's `kid` (of the `consumers` issuer).
    public let stolenKeyID: String
    /// Ordinary traffic per organisation.
    public let traffic: [Traffic]
    /// Key rotations completed during the month (one per issuer expected).
    public let rotations: Int
    /// Every attacker request.
    public let attempts: [Attempt]
    /// Every attacker token before the response, judged three ways.
    public let verdicts: [Verdict]
    /// What the tenant-crossing forgeries left behind.
    public let tenantBoundary: TenantBoundary
    /// Alerts raised, per front end (`keybound_mail`, `mail_edge`) and code.
    public let alerts: [String: [String: Int]]
    /// The hunt's malicious findings per kind (`forged_token`, `cross_issuer_key`, …).
    public let findings: [String: Int]
    /// `jti`s the hunt reported as forged tokens.
    public let forgedTokenIDs: [String]
    /// `jti`s the hunt reported as cross-issuer keys.
    public let crossIssuerTokenIDs: [String]
    /// Findings about requests that were not the attacker's (false positives; 0 expected).
    public let falsePositives: Int
    /// First-time-access leads.
    public let leads: [Lead]
    /// The hunt's first-time look-back, in days.
    public let lookbackDays: Int
    /// The incident response.
    public let incident: Incident
    /// After the response, per organisation.
    public let aftermath: [Aftermath]
    /// Every expectation and whether it held.
    public let expectations: [Expectation]
    /// Real seconds the whole drill took.
    public let runtimeSeconds: Double

    /// Whether every expectation held.
    public var passed: Bool { expectations.allSatisfy(\.held) }
    /// The expectations that did not hold.
    public var failures: [Expectation] { expectations.filter { !$0.held } }
}
