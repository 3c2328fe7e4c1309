import Foundation
import GRDB
import GRDBSQLite
import Keybound
import KeyboundAudit
import KeyboundStore

/// What the generator planted, for the measurement to check (written to `planted.json`).
struct Planted: Codable {
    var records = 0
    var tokens = 0
    var forged = 0
    var crossIssuer = 0
    var revokedKey = 0
    var leadsAtLeast = 0
    var stolenIssuerURL = ""
    var stolenKeyID = ""

    static func file(in directory: URL) -> URL { directory.appendingPathComponent("planted.json") }
}

/// Generates a realistic audit log of N records over 60 days, its issuance ledger and its key
/// store, in the real schemas: the key store through `KeyManager` (issuers, a scheduled rotation
/// of every key on day 29, one revocation), the ledger and the log through their own stores'
/// schemas, then bulk rows inside large transactions. About 1 % of the records are refusals.
///
/// The `hash` column is filler (random bytes), not a chain: `keybound audit verify` would reject
/// this log; the hunt does not read the column.
struct HuntBenchGenerator {
    static let startMS: Int64 = 1_800_000_000_000
    static let spanMS: Int64 = 60 * 86_400_000
    static let tokenLifetimeMS: Int64 = 3_600_000
    static let concurrentSessions = 64

    let records: Int
    let directory: URL
    var random = SplitMix(state: 0x4B65_7962_6F75_6E64)

    private struct Token {
        var jti: String
        var digest: String
        var keyID: String
        var issuedAt: Int64
        var expiresAt: Int64
    }

    private struct Session {
        var issuer: Int
        var application: Int?  // index into the issuer's applications, or nil for a user
        var user: Int
        var token: Token
        var remaining: Int
    }

    private struct Issued {
        let issuerID: String
        let client: String
        let subject: String
        let tenantID: String
        let roles: Bool
        let token: Token
    }

    mutating func generate() async throws -> Planted {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var world = HuntBenchWorld(random: &random)
        // A development KEK file beside the stores, as `keybound serve` makes one: `keybound migrate`
        // (KEYBOUND_KEK_FILE=DIR/keybound-dev.kek) can then seal the audit key into PostgreSQL.
        let kek = try KEKSource.resolve(environment: [:], dataDirectory: directory, storeHasSealedKeys: false, warn: { _ in })
        let keys = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: kek)
        let day: Int64 = 86_400_000
        func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1_000) }
        for issuer in world.issuers {
            try await keys.createIssuer(IssuerRecord(id: issuer.id, url: issuer.url, kind: issuer.id == "consumers" ? .consumer : .tenant,
                                               tenantID: issuer.id == "consumers" ? nil : issuer.tenantID, createdAt: date(Self.startMS - day)))
        }
        let before = try await activeKeys(keys, world)
        for offset in [28 * day + 3_600_000, 29 * day + 3_600_000, 30 * day + 7_200_000] { try await keys.tick(now: date(Self.startMS + offset)) }
        let after = try await activeKeys(keys, world)
        let rotationMS = Self.startMS + 29 * day + 3_600_000
        // An old key revoked on day 40 (after the rotation retired it), to be named by refused tokens.
        let revokedIssuer = world.issuers[8]
        try await keys.revoke(issuerID: revokedIssuer.id, keyID: before[8], reason: "benchmark: retired key reported lost", actor: "bench",
                        now: date(Self.startMS + 40 * day))

        _ = try AuditLog(directory: directory)  // the real schema and signing key
        _ = try SQLiteProviderStore(directory: directory)
        var planted = Planted(records: records, stolenIssuerURL: world.issuers[0].url, stolenKeyID: after[0])
        let audit = try DatabaseQueue(path: directory.appendingPathComponent(AuditLog.fileName).path)
        var issued: [Issued] = []
        issued.reserveCapacity(records / 15)
        try Self.writeSynchronously(audit) { db in
            try db.execute(sql: "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536")
            let insert = try db.makeStatement(sql: """
                INSERT INTO audit_record (sequence, time_ms, tenant, mailbox, operation, item_ids, client_id, client_ip, user_agent,
                    session_id, token_iss, token_kid, token_jti, token_sub, token_aud, token_scope, token_roles, token_iat_ms,
                    token_exp_ms, claims_digest, verdict, rejection_code, hash, tenant_issuer, attribution)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let row = RowWriter(statement: insert.sqliteStatement)
            var sessions: [Session] = []
            let plantAt = Dictionary(uniqueKeysWithValues: (0..<13).map { (records * (50 + $0 % 5) / 60 + $0, $0) })
            try db.execute(sql: "BEGIN")
            for index in 0..<records {
                if index > 0 && index % 200_000 == 0 { try db.execute(sql: "COMMIT; BEGIN") }
                let time = Self.startMS + Int64(index) * Self.spanMS / Int64(records)
                let kids = time < rotationMS ? before : after
                if let plant = plantAt[index] {
                    plantRecord(plant, row: row, sequence: Int64(index + 1), time: time, world: world, kids: kids, revokedKeyID: before[8],
                                planted: &planted, issued: &issued)
                    try row.step()
                    continue
                }
                while sessions.count < Self.concurrentSessions { sessions.append(newSession(world: &world, time: time, kids: kids, issued: &issued)) }
                let slot = random.below(sessions.count)
                if sessions[slot].remaining <= 0 || sessions[slot].token.expiresAt <= time {
                    sessions[slot] = newSession(world: &world, time: time, kids: kids, issued: &issued)
                }
                sessions[slot].remaining -= 1
                writeAccess(sessions[slot], row: row, sequence: Int64(index + 1), time: time, world: world)
                try row.step()
            }
            try db.execute(sql: "COMMIT")
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        try audit.close()
        try writeLedger(issued)
        planted.tokens = issued.count
        try JSONEncoder().encode(planted).write(to: Planted.file(in: directory))
        return planted
    }

    /// One synchronous access to `queue` (GRDB's async overload would make the body `@Sendable`).
    private static func writeSynchronously(_ queue: DatabaseQueue, _ body: (Database) throws -> Void) throws {
        try queue.writeWithoutTransaction(body)
    }

    private func activeKeys(_ keys: KeyManager, _ world: HuntBenchWorld) async throws -> [String] {
        let all = try await keys.keys()
        return world.issuers.map { issuer in all.first { $0.issuerID == issuer.id && $0.state == .active && $0.purpose == .accessToken }!.keyID }
    }

    private mutating func newSession(world: inout HuntBenchWorld, time: Int64, kids: [String], issued: inout [Issued]) -> Session {
        let isApplication = random.below(100) < 60
        let issuer = isApplication ? 1 + random.below(HuntBenchWorld.tenantCount) : world.users[random.below(world.users.count)].issuer
        let application = isApplication ? random.below(HuntBenchWorld.applicationsPerTenant) : nil
        let user = isApplication ? 0 : world.issuers[issuer].users[random.below(world.issuers[issuer].users.count)]
        let token = Token(jti: random.uuid(), digest: random.hex64(), keyID: kids[issuer], issuedAt: time,
                          expiresAt: time + Self.tokenLifetimeMS)
        let client = application.map { world.issuers[issuer].applications[$0] } ?? world.users[user].client
        issued.append(Issued(issuerID: world.issuers[issuer].id, client: client,
                             subject: application == nil ? world.users[user].subject : client, tenantID: world.issuers[issuer].tenantID,
                             roles: application != nil, token: token))
        return Session(issuer: issuer, application: application, user: user, token: token, remaining: 5 + random.below(31))
    }

    /// One request of a session: 99 % allowed, 1 % refused for an ordinary reason.
    private mutating func writeAccess(_ session: Session, row: RowWriter, sequence: Int64, time: Int64, world: HuntBenchWorld) {
        let issuer = world.issuers[session.issuer]
        let isApplication = session.application != nil
        let client = session.application.map { issuer.applications[$0] } ?? world.users[session.user].client
        var mailbox = isApplication ? issuer.mailboxes[random.below(issuer.mailboxes.count)] : world.users[session.user].mailbox
        let roll = random.below(1_000)
        let operation = roll < 650 ? "messages.list" : roll < 960 ? "messages.read" : "mail.send"
        var verdict = "allowed"
        var code: String?
        if random.below(100) == 0 {
            verdict = "denied"
            switch random.below(5) {
            case 0: code = "token_expired"
            case 1: code = "insufficient_scope"
            case 2:
                code = isApplication ? "cross_tenant" : "mailbox_not_owned"
                mailbox = world.issuers[1 + random.below(HuntBenchWorld.tenantCount)].mailboxes[0]
            case 3: code = "message_not_found"
            default: code = "missing_token"
            }
        }
        let hasToken = code != "missing_token"
        // As the mail server records it (format 2): a request whose token verified names the tenant
        // it was served in (the token's issuer and tid), attributed `verified`; a refused token's
        // record names only what the token claims, attributed `unverified`.
        let verified = code == nil || code == "insufficient_scope" || code == "cross_tenant" || code == "mailbox_not_owned"
            || code == "message_not_found"
        row.bind(sequence, time, tenant: hasToken ? issuer.tenantID : nil, mailbox: mailbox, operation: operation,
                 items: verdict == "allowed" ? itemIDs(operation) : "[]", client: hasToken ? client : nil,
                 ip: "10.\(session.issuer % 250).\(session.user % 250).\(7 + session.issuer % 200)",
                 userAgent: world.userAgents[(session.issuer + session.user) % world.userAgents.count],
                 session: isApplication || !hasToken ? nil : "sid-\(session.token.jti.prefix(8))",
                 issuer: hasToken ? issuer.url : nil, kid: hasToken ? session.token.keyID : nil, jti: hasToken ? session.token.jti : nil,
                 subject: hasToken ? (isApplication ? client : world.users[session.user].subject) : nil,
                 audience: hasToken ? #"["api://mail"]"# : nil,
                 scope: hasToken && !isApplication ? "Mail.Read Mail.Send" : nil,
                 roles: hasToken && isApplication ? #"["Mail.Read.All"]"# : nil,
                 issuedAt: hasToken ? session.token.issuedAt : nil, expiresAt: hasToken ? session.token.expiresAt : nil,
                 digest: hasToken ? session.token.digest : nil, verdict: verdict, code: code, hash: random.bytes32(),
                 tenantIssuer: hasToken ? issuer.url : nil, verified: verified)
    }

    private mutating func itemIDs(_ operation: String) -> String {
        let count = operation == "messages.list" ? 1 + random.below(4) : 1
        return "[" + (0..<count).map { _ in "\"AAMkAGI2-\(String(random.next() % 100_000_000, radix: 36))\"" }.joined(separator: ",") + "]"
    }

    /// The planted malicious records (and a new application, whose first reads are leads).
    private mutating func plantRecord(_ plant: Int, row: RowWriter, sequence: Int64, time: Int64, world: HuntBenchWorld, kids: [String],
                                      revokedKeyID: String, planted: inout Planted, issued: inout [Issued]) {
        let consumers = world.issuers[0], tenant = world.issuers[1]
        var issuer = consumers, kid = kids[0], client = "attacker-app", verdict = "allowed"
        var code: String?
        let digest = random.hex64(), jti = random.uuid()
        var mailbox = consumers.mailboxes[plant * 7]
        switch plant {
        case 0..<5:
            planted.forged += 1  // the consumer realm's valid key, claims never issued: accepted
            planted.leadsAtLeast += 1
        case 5..<8:
            issuer = tenant  // a tenant's token signed with the consumer key
            mailbox = tenant.mailboxes[plant]
            verdict = "denied"
            code = "issuer_key_mismatch"
            planted.crossIssuer += 1
        case 8..<10:
            issuer = world.issuers[8]
            kid = revokedKeyID
            mailbox = issuer.mailboxes[plant]
            verdict = "denied"
            code = "key_revoked"
            planted.revokedKey += 1
        default:
            // A new application of tenant-002, genuinely issued: leads, not findings.
            issuer = world.issuers[3]
            client = "new-integration"
            kid = kids[3]
            mailbox = issuer.mailboxes[plant]
            let token = Token(jti: jti, digest: digest, keyID: kid, issuedAt: time, expiresAt: time + Self.tokenLifetimeMS)
            issued.append(Issued(issuerID: issuer.id, client: client, subject: client, tenantID: issuer.tenantID, roles: true, token: token))
            planted.leadsAtLeast += 1
        }
        row.bind(sequence, time, tenant: issuer.tenantID, mailbox: mailbox, operation: "messages.list",
                 items: verdict == "allowed" ? itemIDs("messages.list") : "[]", client: client, ip: "203.0.113.66",
                 userAgent: "python-requests/2.31", session: nil, issuer: issuer.url, kid: kid, jti: jti, subject: client,
                 audience: #"["api://mail"]"#, scope: nil, roles: #"["Mail.Read.All"]"#, issuedAt: time, expiresAt: time + 3_600_000,
                 digest: digest, verdict: verdict, code: code, hash: random.bytes32(),
                 tenantIssuer: issuer.url, verified: verdict == "allowed")
    }

    /// The ledger: one row per token, through a raw insert into the real `issuance` table.
    private func writeLedger(_ issued: [Issued]) throws {
        let ledger = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteProviderStore.fileName).path)
        try ledger.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            let insert = try db.makeStatement(sql: """
                INSERT INTO issuance (issuer_id, kid, jti, kind, subject, client_id, audience, scope, roles, tenant_id, issued_at, expires_at,
                    parent_jti, session_id, chain_id, grant_type, claims_digest)
                VALUES (?, ?, ?, 'access', ?, ?, '["api://mail"]', ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)
                """)
            try db.execute(sql: "BEGIN")
            for token in issued {
                try insert.execute(arguments: [
                    token.issuerID, token.token.keyID, token.token.jti, token.subject, token.client, token.roles ? "" : "Mail.Read Mail.Send",
                    token.roles ? #"["Mail.Read.All"]"# : "[]", token.tenantID, Double(token.token.issuedAt) / 1_000,
                    Double(token.token.expiresAt) / 1_000, token.roles ? "client_credentials" : "authorization_code", token.token.digest,
                ])
            }
            try db.execute(sql: "COMMIT")
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        try ledger.close()
    }
}

/// Binds one audit row to the insert statement with the SQLite C API (no per-value boxing).
struct RowWriter {
    let statement: OpaquePointer
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func step() throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
    }

    private func text(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(statement, index)
            return
        }
        value.withUTF8 { buffer in
            _ = buffer.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(statement, index, chars.baseAddress, Int32(chars.count), Self.transient)
            }
        }
    }

    private func integer(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    func bind(_ sequence: Int64, _ time: Int64, tenant: String?, mailbox: String?, operation: String, items: String, client: String?,
              ip: String?, userAgent: String?, session: String?, issuer: String?, kid: String?, jti: String?, subject: String?,
              audience: String?, scope: String?, roles: String?, issuedAt: Int64?, expiresAt: Int64?, digest: String?, verdict: String,
              code: String?, hash: [UInt8], tenantIssuer: String?, verified: Bool) {
        integer(1, sequence)
        integer(2, time)
        text(3, tenant)
        text(4, mailbox)
        text(5, operation)
        text(6, items)
        text(7, client)
        text(8, ip)
        text(9, userAgent)
        text(10, session)
        text(11, issuer)
        text(12, kid)
        text(13, jti)
        text(14, subject)
        text(15, audience)
        text(16, scope)
        text(17, roles)
        integer(18, issuedAt)
        integer(19, expiresAt)
        text(20, digest)
        text(21, verdict)
        text(22, code)
        hash.withUnsafeBytes { _ = sqlite3_bind_blob(statement, 23, $0.baseAddress, 32, Self.transient) }
        text(24, tenantIssuer)
        text(25, verified ? "verified" : "unverified")
    }
}
