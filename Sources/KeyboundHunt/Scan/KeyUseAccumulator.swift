import Foundation
import Keybound

/// Collects finding 1 (every use of one key) during the scan. Groups are keyed by the scan's
/// seeded 64-bit hashes of their values; each value is turned into a string once, when its group
/// is first seen. Item ids are read only for allowed requests, up to a bound per mailbox.
final class KeyUseAccumulator {
    private struct Named {
        var name: String?
        var tally = HuntKeyUse.Tally()
    }

    private final class MailboxState {
        let tenant: String?
        let mailbox: String
        var tally = HuntKeyUse.Tally()
        var items: [String] = []
        var seen: Set<String> = []
        var truncated = false

        init(tenant: String?, mailbox: String) {
            self.tenant = tenant
            self.mailbox = mailbox
        }
    }

    let keyID: String
    private(set) var total = HuntKeyUse.Tally()
    private var tenants: [UInt64: Named] = [:]
    private var mailboxes: [UInt64: MailboxState] = [:]
    private var claimedIssuers: [UInt64: Named] = [:]
    private var clients: [UInt64: Named] = [:]
    private var codes: [UInt64: Named] = [:]

    init(keyID: String) {
        self.keyID = keyID
    }

    /// A value's bytes as a string (`nil` for an SQL `NULL`).
    static func string(_ bytes: UnsafeRawPointer?, _ count: Int) -> String? {
        bytes.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: count), as: UTF8.self) }
    }

    /// One value of a record, with its hash.
    struct Value {
        let hash: UInt64
        let bytes: UnsafeRawPointer?
        let count: Int
        var string: String? { KeyUseAccumulator.string(bytes, count) }
    }

    /// Adds one record. `itemIDs` is called only for an allowed request on a mailbox whose list is not full.
    func add(allowed: Bool, time: Int64, tenant: Value, tenantName: @autoclosure () -> String?, mailbox: Value?,
             mailboxName: @autoclosure () -> String?,
             issuer: Value, client: Value?, clientName: @autoclosure () -> String?, code: Value?, itemIDs: () -> [UInt8]?) {
        total.add(allowed: allowed, timeMS: time)
        Self.count(&tenants, tenant.hash, allowed, time, tenantName)
        Self.count(&claimedIssuers, issuer.hash, allowed, time) { issuer.string }
        if let client { Self.count(&clients, client.hash, allowed, time, clientName) }
        if let code { Self.count(&codes, code.hash, allowed, time) { code.string } }
        guard let mailbox else { return }
        let state: MailboxState
        if let existing = mailboxes[mailbox.hash] {
            state = existing
        } else {
            state = MailboxState(tenant: tenantName(), mailbox: mailboxName() ?? "")
            mailboxes[mailbox.hash] = state
        }
        state.tally.add(allowed: allowed, timeMS: time)
        guard allowed, !state.truncated, let bytes = itemIDs(), case .array(let values)? = try? StrictJSONParser.parse(bytes) else { return }
        for case .string(let item) in values where !state.seen.contains(item) {
            guard state.items.count < HuntKeyUse.maximumItemsPerMailbox else {
                state.truncated = true
                return
            }
            state.items.append(item)
            state.seen.insert(item)
        }
    }

    private static func count(_ groups: inout [UInt64: Named], _ hash: UInt64, _ allowed: Bool, _ time: Int64, _ name: () -> String?) {
        if groups[hash] == nil { groups[hash] = Named(name: name()) }
        groups[hash]!.tally.add(allowed: allowed, timeMS: time)
    }

    /// The finished tallies.
    func result(issuer: String, issuerURL: String?, issuerID: String?, keyState: String?, keyRevokedAt: Date?) -> HuntKeyUse {
        func groups(_ named: [UInt64: Named]) -> [HuntKeyUse.Group] {
            named.values.map { HuntKeyUse.Group(name: $0.name, tally: $0.tally) }
                .sorted { ($0.tally.total, $1.name ?? "") > ($1.tally.total, $0.name ?? "") }
        }
        let byMailbox = mailboxes.values.map { state in
            HuntKeyUse.MailboxUse(tenant: state.tenant, mailbox: state.mailbox, tally: state.tally, itemIDs: state.items,
                                  itemIDsTruncated: state.truncated)
        }.sorted { ($0.tally.total, $1.mailbox) > ($1.tally.total, $0.mailbox) }
        return HuntKeyUse(issuer: issuer, issuerURL: issuerURL, issuerID: issuerID, keyID: keyID, keyState: keyState,
                          keyRevokedAt: keyRevokedAt, total: total, byTenant: groups(tenants), byMailbox: byMailbox,
                          byClaimedIssuer: groups(claimedIssuers), byClient: groups(clients), byRejectionCode: groups(codes))
    }
}
