import Crypto
import Foundation
import Keybound
import KeyboundAudit
import KeyboundHunt
import KeyboundStore
import Testing

/// Seventy days of known activity in one provider data directory (keys, issuance ledger and audit
/// log together, as `keybound serve --with-mail` keeps them), seeded through the real stores:
/// `KeyManager` (issuers, scheduled rotations by `tick`, a revocation), `SQLiteProviderStore.commitNow`
/// for every token issued, `AuditLog.appendNow` for every access attempt.
///
/// Legitimate activity, with the hard cases:
/// - daily application and user reads in three tenants; routine refusals (expired token, missing
///   token, insufficient scope); an allowed record of an issuer this key store does not know;
/// - normal rotations of every issuer's key (day ~29 and ~59), a token used in the verify-only
///   overlap, and an expired token of a retired key presented days later (`key_not_active`);
/// - a refresh chain revoked on sign-out and its tokens refused (`token_revoked`), then a new sign-in;
/// - **a new application** (`backup-app`) legitimately reading a mailbox for the first time on day 45
///   and a monthly job whose gap exceeds the look-back: first-time-access **leads by design**;
/// - after the incident's key revocation, a genuinely issued token of the revoked key presented by
///   its own client: **flagged by design** by rule 3 (every use of a revoked key is reported;
///   `token_in_ledger` says it was genuinely issued).
///
/// Malicious activity (day 55 on, the consumer realm's active key stolen): forged consumer tokens
/// accepted by a validator without the ledger check and refused by one with it, a real `jti` with
/// altered claims, enterprise tokens forged with the consumer key (refused `issuer_key_mismatch`,
/// and one accepted by a kid-only validator), a backdated token (`key_not_active`), and after the
/// revocation on day 58 the stolen key used again (refused `key_revoked`, and once accepted by a
/// lagging validator).
final class HuntScenario {
    struct Expected: Hashable, CustomStringConvertible {
        let kind: HuntFinding.Kind
        let sequence: Int64
        var description: String { "\(kind.rawValue)#\(sequence)" }
    }

    /// A token as the audit log describes it.
    struct Token {
        let claims: JSONObject
        let keyID: String
        let digest: String
        var jti: String { claims["jti"]?.stringValue ?? "" }
    }

    static let start = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
    static let days = 70
    static let publicURL = "https://login.keybound.test"
    static let tenants = ["consumers": "9188040d-6c67-4c5b-b112-36a304b66dad", "contoso": "contoso-tid", "fabrikam": "fabrikam-tid"]
    static let attackerIP = "203.0.113.66"

    let directory: URL
    let manager: KeyManager
    let provider: SQLiteProviderStore
    let audit: AuditLog

    /// Malicious records, by the finding each must produce.
    private(set) var malicious: Set<Expected> = []
    /// Legitimate records a rule flags by design (a genuine token of the revoked key).
    private(set) var flaggedByDesign: Set<Expected> = []
    /// Leads expected by design: legitimate first-time access (new application, monthly job).
    private(set) var legitimateLeads: [Int64: String] = [:]
    /// Leads the attack produces (the attacker's application is new too).
    private(set) var attackLeads: Set<Int64> = []
    /// Every record appended, by the kid its token names.
    private(set) var recordsByKeyID: [String: [AuditRecord]] = [:]
    /// The stolen key.
    private(set) var stolenKeyID = ""
    /// Allowed records whose key was no longer the active one (the verify-only overlap).
    private(set) var verifyOnlyUses = 0
    /// Records appended.
    private(set) var recordCount = 0
    /// When the stolen key was revoked.
    private(set) var revokedAt = Date.distantPast

    static func day(_ day: Int, _ hour: Double = 0) -> Date { start.addingTimeInterval(Double(day) * 86_400 + hour * 3_600) }

    /// A seeded directory, its keys sealed under `kek`.
    init(kek: KeyEncryptionKey = .generate()) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-hunt-\(UUID().uuidString)")
        manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: kek)
        provider = try SQLiteProviderStore(directory: directory)
        audit = try AuditLog(directory: directory)
        for (id, kind) in [("consumers", IssuerRecord.Kind.consumer), ("contoso", .tenant), ("fabrikam", .tenant)] {
            try await manager.createIssuer(IssuerRecord(id: id, url: url(id), kind: kind, tenantID: kind == .tenant ? Self.tenants[id] : nil,
                                                  createdAt: Self.day(-1)))
        }
        try await seed()
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func url(_ issuerID: String) -> String { "\(Self.publicURL)/\(issuerID)" }

    /// Every expected finding (malicious ones and the legitimate one flagged by design).
    var expectedFindings: Set<Expected> { malicious.union(flaggedByDesign) }

    /// A hunt configuration over this directory.
    func configuration(key: HuntConfiguration.KeySelector? = nil, since: Date? = nil, until: Date? = nil) throws -> HuntConfiguration {
        HuntConfiguration(auditDirectory: directory, keyStore: try SQLiteKeyStore(directory: directory), ledger: provider, key: key,
                          since: since, until: until, now: Self.day(Self.days))
    }

    // MARK: Seeding

    private func seed() async throws {
        var lateContosoToken: Token?
        var staleToken: Token?
        for day in 0..<Self.days {
            // In time order within each day (hours after 08:00 UTC), so sequence order follows time.
            try await manager.tick(now: Self.day(day))
            if let late = lateContosoToken {
                // Minted before the tick, used after it: on a rotation day its key has just become verify-only.
                try access(Self.day(day, 0.05), late, mailbox: "adele@contoso.example", items: ["adele-\(day)-0"])
                if try await manager.signingKey(issuerID: "contoso").keyID != late.keyID { verifyOnlyUses += 1 }
            }
            if day == 55 { try await attack() }
            let daemon = try await issue("contoso", client: "contoso-daemon", roles: ["Mail.Read.All"], at: Self.day(day, 8))
            try access(Self.day(day, 8.02), daemon, mailbox: "adele@contoso.example", items: ["adele-\(day)-1", "adele-\(day)-2"])
            try access(Self.day(day, 8.03), daemon, mailbox: "megan@contoso.example", items: ["megan-\(day)-1"])
            try access(Self.day(day, 8.5), daemon, mailbox: "adele@contoso.example", operation: "messages.read", items: ["adele-\(day)-1"])
            let reporter = try await issue("fabrikam", client: "fabrikam-reporter", roles: ["Mail.Read.All"], at: Self.day(day, 9))
            try access(Self.day(day, 9.02), reporter, mailbox: "lee@fabrikam.example", items: ["lee-\(day)-1"])
            if day == 58 { try await incidentResponse() }
            let alice = try await issue("consumers", client: "outlook-web", subject: "alice-sub", scope: "Mail.Read", at: Self.day(day, 10),
                                  session: "alice-session-\(day)")
            try access(Self.day(day, 10.02), alice, mailbox: "alice@consumers.example", items: ["alice-\(day)-1"])
            try access(Self.day(day, 10.1), alice, mailbox: "alice@consumers.example", operation: "messages.read", items: ["alice-\(day)-1"])
            if day == 28 { staleToken = alice }
            if day % 7 == 3 {
                try access(Self.day(day, 11), daemon, mailbox: "adele@contoso.example", denied: "token_expired")
                try access(Self.day(day, 11.1), nil, mailbox: "adele@contoso.example", denied: "missing_token", ip: "192.0.2.50")
                try access(Self.day(day, 11.2), alice, mailbox: nil, operation: "audit.read", denied: "insufficient_scope")
            }
            if day == 58 { try attackAfterRevocation() }
            try await legitimateHardCases(day: day, staleToken: staleToken)
            lateContosoToken = try await issue("contoso", client: "contoso-daemon", roles: ["Mail.Read.All"], at: Self.day(day, 23.92))
        }
    }

    private func legitimateHardCases(day: Int, staleToken: Token?) async throws {
        switch day {
        case 0, 40:
            // A monthly job whose gap (40 days) exceeds the look-back: a lead on day 40 by design.
            let job = try await issue("contoso", client: "quarterly-report", roles: ["Mail.Read.All"], at: Self.day(day, 12))
            let sequence = try access(Self.day(day, 12.01), job, mailbox: "megan@contoso.example", items: ["megan-\(day)-1"])
            if day == 40 { legitimateLeads[sequence] = "a monthly job, back after more than the look-back" }
        case 20:
            // An issuer this key store does not know (a mail server that trusts another provider too).
            let foreign = Token(claims: JSONObject([
                "iss": .string("https://login.partner.example/tenant"), "sub": .string("partner-app"), "aud": .string("api://mail"),
                "jti": .string(UUID().uuidString), "client_id": .string("partner-app"), "tid": .string("contoso-tid"),
                "iat": .number(Self.day(day, 13).timeIntervalSince1970), "exp": .number(Self.day(day, 14).timeIntervalSince1970),
            ]), keyID: "partner-key", digest: String(repeating: "7", count: 64))
            try access(Self.day(day, 13.01), foreign, mailbox: "adele@contoso.example", items: ["adele-\(day)-9"])
        case 33:
            // An expired token of a key retired since the day-29 rotation, presented by its own client.
            if let staleToken { try access(Self.day(day, 10.5), staleToken, mailbox: "alice@consumers.example", denied: "key_not_active") }
        case 45...:
            // A new application, legitimately reading a mailbox for the first time: a lead by design.
            let backup = try await issue("contoso", client: "backup-app", roles: ["Mail.Read.All"], at: Self.day(day, 14))
            let sequence = try access(Self.day(day, 14.01), backup, mailbox: "adele@contoso.example", items: ["adele-\(day)-1", "adele-\(day)-2"])
            if day == 45 { legitimateLeads[sequence] = "a new application reading a mailbox for the first time" }
            if day == 50 { try await revokedAndReissued(day: day) }
        default:
            break
        }
    }

    /// A sign-out revokes the user's refresh chain; the old token is refused, a new sign-in works.
    private func revokedAndReissued(day: Int) async throws {
        let old = try await issue("consumers", client: "outlook-web", subject: "alice-sub", scope: "Mail.Read", at: Self.day(day, 15),
                            session: "alice-chain-session", chain: "alice-chain-\(day)")
        try access(Self.day(day, 15.01), old, mailbox: "alice@consumers.example", items: ["alice-\(day)-5"])
        try provider.revokeChain(issuerID: "consumers", chainID: "alice-chain-\(day)", reason: "signed out everywhere", kind: .administrative, now: Self.day(day, 15.02))
        try access(Self.day(day, 15.03), old, mailbox: "alice@consumers.example", denied: "token_revoked")
        let fresh = try await issue("consumers", client: "outlook-web", subject: "alice-sub", scope: "Mail.Read", at: Self.day(day, 15.04),
                              session: "alice-new-session", chain: "alice-chain-\(day)-b")
        try access(Self.day(day, 15.05), fresh, mailbox: "alice@consumers.example", items: ["alice-\(day)-5"])
    }

    /// Day 55, 10:00 UTC: the consumer realm's active signing key is in the attacker's hands.
    private func attack() async throws {
        let stolen = try await manager.signingKey(issuerID: "consumers")
        stolenKeyID = stolen.keyID
        let consumersTID = Self.tenants["consumers"]!
        // (a) consumer tokens forged with the consumer realm's own, valid key.
        let forged = try forge(with: stolen, issuer: "consumers", tenant: consumersTID, at: Self.day(55, 2))
        let first = try access(Self.day(55, 2.01), forged, mailbox: "alice@consumers.example", items: ["alice-55-1", "alice-54-1"], ip: Self.attackerIP)
        let second = try access(Self.day(55, 2.02), forged, mailbox: "bob@consumers.example", items: ["bob-1", "bob-2"], ip: Self.attackerIP)
        malicious.insert(Expected(kind: .forgedToken, sequence: first))
        malicious.insert(Expected(kind: .forgedToken, sequence: second))
        attackLeads.formUnion([first, second])
        // … and one refused by a validator with the ledger check.
        let refused = try forge(with: stolen, issuer: "consumers", tenant: consumersTID, at: Self.day(55, 2.1))
        malicious.insert(Expected(kind: .forgedToken, sequence: try access(Self.day(55, 2.11), refused, mailbox: "alice@consumers.example",
                                                                          denied: "token_not_issued", ip: Self.attackerIP)))
        // A real jti with altered claims (a stolen token of alice's, given Mail.Send, re-signed).
        let genuine = try #require(recordsByKeyID[stolen.keyID]?.last { $0.clientID == "outlook-web" && $0.verdict == .allowed })
        var claims = try #require(genuineClaims[genuine.tokenID ?? ""])
        claims["scope"] = .string("Mail.Read Mail.Send")
        let altered = try sign(claims, with: stolen)
        malicious.insert(Expected(kind: .forgedToken, sequence: try access(Self.day(55, 3), altered, mailbox: "alice@consumers.example",
                                                                          operation: "mail.send", items: ["sent-1"], ip: Self.attackerIP)))
        // (b) enterprise tokens forged with the consumer key: refused issuer_key_mismatch …
        let crossTID = Self.tenants["contoso"]!
        let cross = try forge(with: stolen, issuer: "contoso", tenant: crossTID, at: Self.day(55, 3.1))
        for (hour, mailbox) in [(3.11, "adele@contoso.example"), (3.12, "megan@contoso.example")] {
            malicious.insert(Expected(kind: .crossIssuerKey, sequence: try access(Self.day(55, hour), cross, mailbox: mailbox,
                                                                                 denied: "issuer_key_mismatch", ip: Self.attackerIP)))
        }
        // … and accepted once by a kid-only validator (as in the real incident).
        let accepted = try access(Self.day(55, 3.2), cross, mailbox: "adele@contoso.example", items: ["adele-55-1"], ip: Self.attackerIP)
        malicious.insert(Expected(kind: .crossIssuerKey, sequence: accepted))
        malicious.insert(Expected(kind: .forgedToken, sequence: accepted))
        attackLeads.insert(accepted)
        // A token backdated before the stolen key's activation: refused key_not_active.
        let backdated = try forge(with: stolen, issuer: "consumers", tenant: consumersTID, at: Self.day(10, 2))
        malicious.insert(Expected(kind: .inactiveKeyUse, sequence: try access(Self.day(55, 3.3), backdated, mailbox: "bob@consumers.example",
                                                                             denied: "key_not_active", ip: Self.attackerIP)))
    }

    /// Day 58, 09:00: the stolen key is revoked (a fresh key takes over at once).
    private func incidentResponse() async throws {
        // A genuine token of the key about to be revoked, minted just before the revocation.
        let alice = try await issue("consumers", client: "outlook-web", subject: "alice-sub", scope: "Mail.Read", at: Self.day(58, 8.9),
                              session: "alice-session-58-early")
        revokedAt = Self.day(58, 9)
        try await manager.revoke(issuerID: "consumers", keyID: stolenKeyID, reason: "signing key stolen", actor: "incident", now: revokedAt)
        // Its own client presents it once more: refused key_revoked, and flagged by design.
        flaggedByDesign.insert(Expected(kind: .revokedKeyUse, sequence: try access(Self.day(58, 9.5), alice, mailbox: "alice@consumers.example",
                                                                                  denied: "key_revoked")))
        let reissued = try await issue("consumers", client: "outlook-web", subject: "alice-sub", scope: "Mail.Read", at: Self.day(58, 9.55),
                                 session: "alice-session-58-new")
        try access(Self.day(58, 9.6), reissued, mailbox: "alice@consumers.example", items: ["alice-58-0"])
    }

    /// Day 58, 12:00: the attacker keeps going with the revoked key.
    private func attackAfterRevocation() throws {
        let stolen = try #require(stolenSigningKey)
        let forged = try forge(with: stolen, issuer: "consumers", tenant: Self.tenants["consumers"]!, at: Self.day(58, 12))
        for (hour, mailbox) in [(12.01, "alice@consumers.example"), (12.02, "bob@consumers.example")] {
            malicious.insert(Expected(kind: .revokedKeyUse, sequence: try access(Self.day(58, hour), forged, mailbox: mailbox,
                                                                                denied: "key_revoked", ip: Self.attackerIP)))
        }
        // A validator that has not heard of the revocation yet accepts it.
        let lagging = try access(Self.day(58, 12.05), forged, mailbox: "alice@consumers.example", items: ["alice-58-1"], ip: Self.attackerIP)
        malicious.insert(Expected(kind: .revokedKeyAccepted, sequence: lagging))
        malicious.insert(Expected(kind: .forgedToken, sequence: lagging))
    }

    // MARK: Tokens and records

    private var genuineClaims: [String: JSONObject] = [:]
    private var stolenSigningKey: SigningKey?

    @discardableResult
    func issue(_ issuerID: String, client: String, subject: String? = nil, roles: [String]? = nil, scope: String? = nil, at time: Date,
               session: String? = nil, chain: String? = nil) async throws -> Token {
        let issuer = try await manager.issuer(id: issuerID)
        let key = try await manager.signingKey(issuerID: issuerID)
        let issued = time.timeIntervalSince1970.rounded(.down)
        let jti = UUID().uuidString.lowercased()
        var claims = JSONObject([
            "iss": .string(issuer.url), "sub": .string(subject ?? client), "aud": .string("api://mail"), "exp": .number(issued + 600),
            "nbf": .number(issued), "iat": .number(issued), "jti": .string(jti), "client_id": .string(client),
            "tid": .string(Self.tenants[issuerID]!),
        ])
        if let roles {
            claims["idtyp"] = .string("app")
            claims["roles"] = .array(roles.map(JSONValue.string))
        } else {
            claims["idtyp"] = .string("user")
            claims["scope"] = .string(scope ?? "Mail.Read")
            if let session { claims["sid"] = .string(session) }
        }
        let signed = try TokenSigner(key: key).signed(claims: claims)
        let digest = Self.hex(signed.payload)
        try provider.commitNow(IssuanceEntry(records: [IssuanceRecord(
            issuerID: issuerID, keyID: key.keyID, tokenID: jti, kind: .access, subject: subject ?? client, clientID: client,
            audience: ["api://mail"], scope: roles == nil ? (scope ?? "Mail.Read") : "", roles: roles ?? [], tenantID: Self.tenants[issuerID],
            issuedAt: Date(timeIntervalSince1970: issued), expiresAt: Date(timeIntervalSince1970: issued + 600), parentTokenID: nil,
            sessionID: session, chainID: chain, grantType: roles == nil ? "authorization_code" : "client_credentials", claimsDigest: digest)]))
        genuineClaims[jti] = claims
        return Token(claims: claims, keyID: key.keyID, digest: digest)
    }

    /// Claims Keybound never issued, signed with `key` (whoever it belongs to).
    func forge(with key: SigningKey, issuer issuerID: String, tenant: String, at time: Date) throws -> Token {
        stolenSigningKey = key
        let issued = time.timeIntervalSince1970.rounded(.down)
        let claims = JSONObject([
            "iss": .string(url(issuerID)), "sub": .string("attacker-app"), "aud": .string("api://mail"), "exp": .number(issued + 3_600),
            "nbf": .number(issued), "iat": .number(issued), "jti": .string(UUID().uuidString.lowercased()), "client_id": .string("attacker-app"),
            "tid": .string(tenant), "idtyp": .string("app"), "roles": .array([.string("Mail.Read.All")]),
        ])
        return try sign(claims, with: key)
    }

    private func sign(_ claims: JSONObject, with key: SigningKey) throws -> Token {
        let payload = JSONWriter().bytes(.object(claims))
        let header = JSONObject(["alg": .string(key.algorithm.rawValue), "kid": .string(key.keyID), "typ": .string("at+jwt")])
        _ = try TokenSigner(key: key).sign(header: header, payload: payload)
        return Token(claims: claims, keyID: key.keyID, digest: Self.hex(payload))
    }

    /// Appends the audit record of one access attempt, as Keybound Mail writes it; returns its sequence number.
    @discardableResult
    func access(_ time: Date, _ token: Token?, tenant: String?? = .none, mailbox: String?, operation: String = "messages.list",
                items: [String] = [], denied code: String? = nil, ip: String = "198.51.100.7") throws -> Int64 {
        let claims = token?.claims ?? JSONObject()
        let record = AuditRecord(
            time: time, tenant: tenant ?? claims["tid"]?.stringValue, resource: mailbox, operation: operation,
            itemIDs: code == nil ? items : [], clientID: claims["client_id"]?.stringValue, clientIP: ip,
            userAgent: ip == Self.attackerIP ? "python-requests/2.31" : "KeyboundMail-client/1.0", sessionID: claims["sid"]?.stringValue,
            tokenIssuer: claims["iss"]?.stringValue, tokenKeyID: token?.keyID, tokenID: claims["jti"]?.stringValue,
            tokenSubject: claims["sub"]?.stringValue, tokenAudience: claims["aud"]?.stringValue.map { [$0] },
            tokenScope: claims["scope"]?.stringValue, tokenRoles: claims["roles"]?.arrayValue?.compactMap(\.stringValue),
            tokenIssuedAt: claims["iat"]?.numberValue.map(Date.init(timeIntervalSince1970:)),
            tokenExpiresAt: claims["exp"]?.numberValue.map(Date.init(timeIntervalSince1970:)), claimsDigest: token?.digest,
            verdict: code == nil ? .allowed : .denied, rejectionCode: code)
        let appended = try audit.appendNow([record])[0]
        if let kid = token?.keyID { recordsByKeyID[kid, default: []].append(appended) }
        recordCount += 1
        return appended.sequence
    }

    static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
