import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundServer
import KeyboundStore
import Logging
import Synchronization

/// The console's audit pages (docs/console.md), over the audit log of this deployment's
/// Keybound Mail (`serve --with-mail`):
/// - `/console/issuers/{issuer}/audit`: the tenant's own access records (only those of tokens
///   verified for that tenant, as its audit feed has them), filtered by mailbox, application and
///   result; for operators and the issuer's tenant admins;
/// - `/console/audit`: every record, also by token id (`jti`), which the alerts page links to;
///   operators only;
/// - on both, whether the chain verifies (checked at most once a minute per node) and its last
///   signed checkpoint.
struct ConsoleAuditPages: Sendable {
    let context: ProviderContext
    let log: AuditLog
    let verification = ConsoleAuditVerification()

    /// The most records a page reads, newest first, before it stops looking.
    static let scanLimit: Int64 = 20_000
    /// The most matching records a page lists.
    static let shownLimit = 200

    func register(_ pages: ConsolePages, _ console: RouterGroup<ProviderRequestContext>) {
        let parameter = ConsolePages.parameter
        console.get("audit") { request, _ in try await pages.page(request) { try await everything($0, pages, request: request) } }
        console.get("issuers/:issuer/audit") { request, routeContext in
            try await pages.page(request) { try await tenantRecords($0, pages, issuerID: parameter(routeContext, "issuer"), request: request) }
        }
    }

    /// The page's filters, from its query.
    struct Filter {
        var mailbox = ""
        var application = ""
        var result = ""
        var tokenID = ""

        init(_ query: FormBody, allowsTokenID: Bool) throws {
            let known = ["mailbox", "application", "result"] + (allowsTokenID ? ["jti"] : [])
            for name in query.values.keys where !known.contains(name) {
                throw OAuthError.invalidRequest("unknown query parameter; known: \(known.joined(separator: ", "))")
            }
            mailbox = query["mailbox"] ?? ""
            application = query["application"] ?? ""
            result = query["result"] ?? ""
            tokenID = query["jti"] ?? ""
            for value in [mailbox, application, tokenID] where value.utf8.count > 512 {
                throw OAuthError.invalidRequest("a filter is longer than 512 bytes")
            }
            guard result.isEmpty || AuditRecord.Verdict(rawValue: result) != nil else {
                throw OAuthError.invalidRequest("'result' is allowed or denied")
            }
        }

        /// Whether `record` passes, every field compared by exact bytes.
        func matches(_ record: AuditRecord) -> Bool {
            (mailbox.isEmpty || (record.resource ?? "").isExactly(mailbox))
                && (application.isEmpty || (record.clientID ?? "").isExactly(application))
                && (result.isEmpty || record.verdict.rawValue == result)
                && (tokenID.isEmpty || (record.tokenID ?? "").isExactly(tokenID))
        }

        var context: [String: Any] {
            ["mailbox": mailbox, "application": application, "jti": tokenID, "anyResult": result.isEmpty,
             "allowedResult": result == "allowed", "deniedResult": result == "denied"]
        }
    }

    /// `GET /console/audit` (operators): every record of the log.
    func everything(_ user: ConsoleUser, _ pages: ConsolePages, request: Request) async throws -> Response {
        guard user.may(.operatorOnly, issuerID: nil) else {
            return pages.message("Forbidden", "Only an operator may read every tenant's records; a tenant admin reads its own on its issuer's page.",
                                 status: .forbidden, user: user)
        }
        let filter = try Filter(try FormBody.query(request), allowsTokenID: true)
        let (rows, scanned) = try await read(filter) { after, limit throws(AuditError) in try await log.records(after: after, limit: limit) }
        var page = try await chain()
        page.merge(filter.context) { $1 }
        page.merge(["title": "Audit records", "action": "/console/audit", "allowsTokenID": true, "records": rows, "hasRecords": !rows.isEmpty,
                    "scopeNote": "Every access to Keybound Mail, allowed or refused, in every tenant; refused tokens are listed with what they claimed.",
                    "countNote": countNote(rows.count, scanned)]) { $1 }
        return pages.render(ConsoleAppTemplates.render("audit", page), title: "Audit records", user: user)
    }

    /// `GET /console/issuers/{issuer}/audit`: the tenant's own records.
    func tenantRecords(_ user: ConsoleUser, _ pages: ConsolePages, issuerID: String, request: Request) async throws -> Response {
        let issuer = try await pages.visibleIssuer(user, issuerID: issuerID, .readIssuer)
        let filter = try Filter(try FormBody.query(request), allowsTokenID: false)
        guard let tenantID = issuer.tenantID else { throw OAuthError.notFound("this issuer has no tenant") }
        let tenant = Tenant(issuer: issuer.url, tenantID: tenantID, kind: .tenant)
        let (rows, scanned) = try await read(filter) { after, limit throws(AuditError) in
            try await log.records(of: tenant, after: after, limit: limit)
        }
        var page = try await chain()
        page.merge(filter.context) { $1 }
        page.merge(["title": "Audit records of \(issuer.id)", "issuerID": issuer.id, "action": "/console/issuers/\(issuer.id)/audit",
                    "allowsTokenID": false, "records": rows, "hasRecords": !rows.isEmpty,
                    "scopeNote": "Every access to this tenant's data by a token verified for this tenant, allowed or refused. "
                        + "Refused tokens that only claimed this tenant are not listed here: anyone can write any tenant into a token.",
                    "countNote": countNote(rows.count, scanned)]) { $1 }
        return pages.render(ConsoleAppTemplates.render("audit", page), title: "Audit records of \(issuer.id)", user: user)
    }

    private func countNote(_ shown: Int, _ scanned: Int64) -> String {
        "\(shown) matching records shown (at most \(Self.shownLimit), newest first) of the \(scanned) most recent records read "
            + "(at most \(Self.scanLimit))."
    }

    /// Reads pages of records (`page(after, limit)`, oldest first) and keeps the newest matching
    /// ones; reads at most ``scanLimit`` records in all.
    private func read(_ filter: Filter, _ page: (Int64, Int) async throws(AuditError) -> [AuditRecord]) async throws -> ([[String: Any]], Int64) {
        var kept: [AuditRecord] = []
        var scanned: Int64 = 0
        var after = max(0, (try await storeCall { () async throws(AuditError) in try await log.lastSequence() }) - Self.scanLimit)
        // A tenant's records are sparse in the log: read its pages from the start of the window.
        while scanned < Self.scanLimit {
            let batch = try await storeCall { () async throws(AuditError) in try await page(after, 1_000) }
            guard let last = batch.last else { break }
            scanned += Int64(batch.count)
            kept += batch.filter(filter.matches)
            if kept.count > Self.shownLimit { kept.removeFirst(kept.count - Self.shownLimit) }
            after = last.sequence
            if batch.count < 1_000 { break }
        }
        let rows: [[String: Any]] = kept.reversed().map { record in
            // (An absent key, not an empty string, is what a Mustache section skips.)
            var row: [String: Any] = [
                "sequence": String(record.sequence), "time": ConsoleIncidentPages.time(record.time), "mailbox": record.resource ?? "—",
                "operation": record.operation, "application": record.clientID ?? "—", "result": record.verdict.rawValue,
                "allowed": record.verdict == .allowed, "jti": record.tokenID ?? "—", "kid": record.tokenKeyID ?? "—", "clientIP": record.clientIP ?? "—",
            ]
            if let code = record.rejectionCode, !code.isEmpty { row["code"] = code }
            if record.attribution == .unverified { row["attribution"] = "claimed" }
            return row
        }
        return (rows, scanned)
    }

    /// The chain's state: the verification (cached for a minute) and the last signed checkpoint.
    private func chain() async throws -> [String: Any] {
        var page: [String: Any] = [:]
        switch await verification.report(log, now: context.now()) {
        case .success(let (report, at)):
            // The last walk of this node (at most a minute old): say when, since records arrive meanwhile.
            let when = ConsoleIncidentPages.time(at)
            page["chainIntact"] = report.isIntact
            page["chainSummary"] = report.isIntact ? "The chain verified at \(when): \(report.summary)."
                                                   : "The chain does NOT verify (checked \(when)): \(report.summary)"
        case .failure(let error):
            page["chainIntact"] = false
            page["chainSummary"] = "The chain could not be read: \(error.message)"
        }
        let checkpoints = try await storeCall { () async throws(AuditError) in try await log.checkpoints() }
        if let last = checkpoints.last {
            page["checkpoint"] = ["segment": String(last.segment), "first": String(last.firstSequence), "last": String(last.lastSequence),
                                  "createdAt": ConsoleIncidentPages.time(last.createdAt), "keyID": last.keyID]
        }
        return page
    }

    /// An audit log call; a log that cannot be read is a 503 page.
    private func storeCall<T>(_ body: () async throws(AuditError) -> T) async throws -> T {
        do { return try await body() } catch { throw OAuthError.storeUnavailable() }
    }
}

/// The last verification of the audit chain on this node, reused for a minute, so that reloading
/// an audit page never walks the whole log again; one walk at a time.
final class ConsoleAuditVerification: Sendable {
    static let reuseFor: TimeInterval = 60
    private let last = Mutex<(AuditVerificationReport, Date)?>(nil)
    private let walking = Mutex(false)

    func report(_ log: AuditLog, now: Date) async -> Result<(AuditVerificationReport, Date), AuditError> {
        if let cached = last.withLock({ $0 }), now.timeIntervalSince(cached.1) < Self.reuseFor { return .success(cached) }
        let mine = walking.withLock { busy -> Bool in
            if busy { return false }
            busy = true
            return true
        }
        guard mine else {
            if let cached = last.withLock({ $0 }) { return .success(cached) }
            return .failure(AuditError(.storage, "the chain is being verified; reload in a moment"))
        }
        defer { walking.withLock { $0 = false } }
        do {
            let report = try await log.verify()
            last.withLock { $0 = (report, now) }
            return .success((report, now))
        } catch {
            return .failure(error)
        }
    }
}
