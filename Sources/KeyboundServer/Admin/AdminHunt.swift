import Dispatch
import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHunt

/// `GET /admin/hunt`: the hunt (see `docs/hunt.md`) over the audit log in the provider's data
/// directory (Keybound Mail's, with `keybound serve --with-mail`), the issuance ledger and the key
/// store. Answers the report as JSON (`HuntReport.jsonObject`).
struct AdminHunt: Sendable {
    let context: ProviderContext

    static let parameters = ["issuer", "kid", "since", "until", "lookback_days", "max_listed"]

    /// The directory holding `provider.sqlite`, where `--with-mail` keeps `audit.sqlite` too.
    var dataDirectory: URL { URL(fileURLWithPath: context.store.path).deletingLastPathComponent() }

    /// `GET /admin/hunt?issuer=&kid=&since=&until=&lookback_days=&max_listed=`
    func run(_ request: Request, route: AdminRoute) async throws -> Response {
        let configuration = try configuration(FormBody.query(request))
        let path = configuration.auditDirectory.appendingPathComponent(AuditLog.fileName).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw OAuthError.notFound("no audit log in the provider's data directory (run Keybound Mail with `keybound serve --with-mail`)")
        }
        // A hunt reads the whole log: run it off the concurrency pool.
        let result: Result<HuntReport, HuntError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(HuntError) in try Hunt.run(configuration) })
            }
        }
        switch result {
        case .success(let report):
            route.audit("hunt run", ["findings": "\(report.maliciousCount)", "leads": "\(report.leadCount)"])
            return AdminResponse.make(report.jsonObject)
        case .failure(let error):
            if error.code == .invalidConfiguration { throw OAuthError.invalidRequest(error.message) }
            route.logger.error("admin API: hunt failed", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            throw OAuthError.serverError("the hunt could not read its stores")
        }
    }

    private func configuration(_ query: FormBody) throws -> HuntConfiguration {
        for name in query.values.keys where !Self.parameters.contains(name) {
            throw OAuthError.invalidRequest("unknown query parameter '\(AdminBody.shown(name))'; known: \(Self.parameters.joined(separator: ", "))")
        }
        guard (query["issuer"] == nil) == (query["kid"] == nil) else {
            throw OAuthError.invalidRequest("'issuer' and 'kid' go together: they name one key")
        }
        var key: HuntConfiguration.KeySelector?
        if let issuer = query["issuer"], let kid = query["kid"] {
            guard !issuer.isEmpty, !kid.isEmpty else { throw OAuthError.invalidRequest("'issuer' and 'kid' must not be empty") }
            key = HuntConfiguration.KeySelector(issuer: issuer, keyID: kid)
        }
        func time(_ name: String) throws -> Date? {
            guard let text = query[name] else { return nil }
            guard let date = HuntTimeText.parse(text) else {
                throw OAuthError.invalidRequest("'\(name)' must be UNIX seconds or an ISO 8601 date or time")
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
        if let since, let until, since > until { throw OAuthError.invalidRequest("'since' is after 'until'") }
        return HuntConfiguration(auditDirectory: dataDirectory, keyStore: context.manager.store, ledger: context.store, key: key,
                                 since: since, until: until, lookback: lookback, maximumListed: maximumListed, now: context.now())
    }
}
