import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHunt
import KeyboundServer
import KeyboundStore

/// `GET /admin/hunt`: the hunt (see `docs/hunt.md`) over the provider's audit log (Keybound
/// Mail's, with `keybound serve --with-mail`: `audit.sqlite` in the data directory, or the shared
/// log on PostgreSQL), the issuance ledger and the key store. Answers the report as JSON
/// (`HuntReport.jsonObject`). Mounted on the admin API by ``ProviderAssembly`` (``route``).
struct AdminHunt: Sendable {
    let context: ProviderContext
    /// The audit log on PostgreSQL (the in-process mail's); `nil` when the provider runs none there.
    let sharedAuditLog: AuditLog?

    /// The route, for the admin API's extension point.
    var route: AdminExtensionRoute {
        AdminExtensionRoute(.get, "hunt") { request, route in try await run(request, route: route) }
    }

    static let parameters = ["issuer", "kid", "since", "until", "lookback_days", "max_listed"]

    /// Where the audit log is: `audit.sqlite` beside an SQLite provider store, else the shared log.
    func auditSource() throws -> HuntAuditSource {
        if let store = context.store as? SQLiteProviderStore {
            let directory = URL(fileURLWithPath: store.path).deletingLastPathComponent()
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(AuditLog.fileName).path) else {
                throw OAuthError.notFound("no audit log in the provider's data directory (run Keybound Mail with `keybound serve --with-mail`)")
            }
            return .sqliteDirectory(directory)
        }
        guard let sharedAuditLog else {
            throw OAuthError.notFound("this node runs no audit log (run Keybound Mail with `keybound serve --with-mail`)")
        }
        return .log(sharedAuditLog)
    }

    /// `GET /admin/hunt?issuer=&kid=&since=&until=&lookback_days=&max_listed=`
    func run(_ request: Request, route: AdminRoute) async throws -> Response {
        let configuration = try configuration(FormBody.query(request).values)
        let result: Result<HuntReport, HuntError>
        do { result = .success(try await Hunt.run(configuration)) } catch { result = .failure(error) }
        switch result {
        case .success(let report):
            route.audit("hunt run", ["findings": "\(report.maliciousCount)", "leads": "\(report.leadCount)"])
            return AdminResponse.make(report.jsonObject)
        case .failure(let error):
            if error.code == .invalidConfiguration { throw OAuthError.invalidRequest(error.message) }
            route.logger.error("admin API: hunt failed", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            // The stores could not be read (a database that is down, a file that cannot be opened): 503, try again.
            throw OAuthError.storeUnavailable()
        }
    }

    /// The document's pattern for `since` and `until`:
    /// `^([0-9]{1,10}|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z)?)$`.
    static func isTimeShape(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        if (1...10).contains(bytes.count), digits(0..<bytes.count) != nil { return true }
        guard bytes.count == 10 || bytes.count == 20, digits(0..<4) != nil, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let month = digits(5..<7), (1...12).contains(month), let day = digits(8..<10), (1...31).contains(day) else { return false }
        if bytes.count == 10 { return true }
        guard bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z"),
              let hour = digits(11..<13), hour <= 23, let minute = digits(14..<16), minute <= 59, let second = digits(17..<19), second <= 59
        else { return false }
        return true
    }

    /// The hunt the query asks for (the parameters of ``parameters``), checked as the admin API
    /// documents; the console's hunt page reads its form through it too.
    func configuration(_ query: [String: String]) throws -> HuntConfiguration {
        for name in query.keys where !Self.parameters.contains(name) {
            throw OAuthError.invalidRequest("unknown query parameter '\(AdminBody.shown(name))'; known: \(Self.parameters.joined(separator: ", "))")
        }
        for name in ["issuer", "kid"] {
            if let value = query[name] { try AdminBody.checkLine(value, name, limit: Int.max) }
        }
        // Well formed one by one, refused together: `invalid_settings` (docs/admin-api.md).
        guard (query["issuer"] == nil) == (query["kid"] == nil) else {
            throw OAuthError.invalidSettings("'issuer' and 'kid' go together: they name one key")
        }
        var key: HuntConfiguration.KeySelector?
        if let issuer = query["issuer"], let kid = query["kid"] {
            key = HuntConfiguration.KeySelector(issuer: issuer, keyID: kid)
        }
        func time(_ name: String) throws -> Date? {
            guard let text = query[name] else { return nil }
            guard Self.isTimeShape(text) else {
                throw OAuthError.invalidRequest("'\(name)' must be UNIX seconds (up to 10 digits), YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            }
            guard let date = HuntTimeText.parse(text) else {
                throw OAuthError.invalidSettings("'\(name)' names no such date or time")
            }
            return date
        }
        var lookback = HuntConfiguration.defaultLookback
        if let text = query["lookback_days"] {
            guard let days = Double(text), days.isFinite, days > 0, days <= 3_650 else {
                throw OAuthError.invalidRequest("'lookback_days' must be a number of days between 0 and 3650")
            }
            lookback = days * 86_400
        }
        var maximumListed = 1_000
        if let text = query["max_listed"] {
            guard let value = Int(text), (0...10_000).contains(value) else {
                throw OAuthError.invalidRequest("'max_listed' must be between 0 and 10000")
            }
            maximumListed = value
        }
        let since = try time("since"), until = try time("until")
        if let since, let until, since > until { throw OAuthError.invalidSettings("'since' is after 'until'") }
        return HuntConfiguration(audit: try auditSource(), keyStore: context.manager.store, ledger: context.store, key: key,
                                 since: since, until: until, lookback: lookback, maximumListed: maximumListed, now: context.now())
    }
}
