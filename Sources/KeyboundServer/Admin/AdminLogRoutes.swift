import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// The admin log over the admin API: every issuer's entries for operators, one issuer's for its
/// tenant admins, and the chain's verification.
package struct AdminLogRoutes: Sendable {
    let context: ProviderContext

    /// `GET /admin/admin-log?after=N&limit=M`: every entry, and whether the whole chain verifies.
    func all(_ request: Request) async throws -> Response {
        let (after, limit) = try AdminBody.page(request)
        let entries = try await context.store.adminLog(issuerID: nil, after: after, limit: limit)
        var object = JSONObject(["entries": .array(entries.map { .object(Self.json($0)) }),
                                 "next_after": .number(Double(entries.last?.sequence ?? after))])
        let (verdict, head) = try await context.store.walkAdminLog()
        switch verdict {
        case .intact(let count):
            var chain = JSONObject(["intact": .bool(true), "entries": .number(Double(count))])
            if let head {
                chain["head"] = .object(JSONObject(["sequence": .number(Double(head.sequence)), "hash": .string(head.hash), "anchor": .string(head.anchor.text)]))
            }
            object["chain"] = .object(chain)
        case .broken(let sequence, let reason):
            object["chain"] = .object(JSONObject(["intact": .bool(false), "broken_at": .number(Double(sequence)), "reason": .string(reason)]))
        }
        return AdminResponse.make(object)
    }

    /// `GET /admin/issuers/{issuer}/admin-log?after=N&limit=M`: the entries acting on one issuer.
    func issuer(_ issuerID: String, _ request: Request) async throws -> Response {
        let issuer = try await context.manager.issuer(id: issuerID)
        let (after, limit) = try AdminBody.page(request)
        let entries = try await context.store.adminLog(issuerID: issuer.id, after: after, limit: limit)
        return AdminResponse.make(JSONObject(["issuer": .string(issuer.id), "entries": .array(entries.map { .object(Self.json($0)) }),
                                              "next_after": .number(Double(entries.last?.sequence ?? after))]))
    }

    /// An entry as the admin API and `keybound admin-log list --json` show it.
    package static func json(_ entry: AdminLogEntry) -> JSONObject {
        let action = entry.action
        return JSONObject([
            "sequence": .number(Double(entry.sequence)), "at": StoreJSON.time(action.at),
            "actor": .object(JSONObject(["iss": .string(action.actorIssuer), "sub": .string(action.actorSubject)])),
            "action": .string(action.action), "issuer": action.issuerID.map(JSONValue.string) ?? .null,
            "target": .string(action.target), "reason": .string(action.reason), "outcome": .string(action.outcome),
            "previous_hash": .string(entry.previousHash), "hash": .string(entry.hash),
        ])
    }
}
