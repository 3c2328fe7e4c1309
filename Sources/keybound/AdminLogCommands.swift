import ArgumentParser
import Foundation
import Keybound
import KeyboundServer
import KeyboundStore

/// `keybound admin-log ...`: the hash-chained log of every state-changing admin action
/// (docs/console.md#the-admin-log).
struct AdminLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin-log", abstract: "The admin log: list its entries, verify its hash chain, print its head as an anchor.",
        discussion: "See docs/console.md (The admin log). Exit codes: 0 = intact or done, 1 = the chain is broken or an anchor does not match, 2 = bad flags or an unreadable store.",
        subcommands: [AdminLogListCommand.self, AdminLogVerifyCommand.self, AdminLogHeadCommand.self])
}

/// `keybound admin-log list [--issuer ID] [--after N] [--limit M]`
struct AdminLogListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List admin log entries, oldest first.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Only the entries acting on this issuer (its id, exact bytes).") var issuer: String?
    @Option(help: "Start after this entry number.") var after: Int64 = 0
    @Option(help: "At most this many entries (1 to 1000).") var limit = 100

    func validate() throws {
        guard after >= 0 else { throw ValidationError("--after must be 0 or more") }
        guard (1...1_000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
    }

    func run() async throws {
        let provider = try await store.openProviderStore()
        let entries = try await storeCall { () async throws(StoreError) in try await provider.adminLog(issuerID: issuer, after: after, limit: limit) }
        store.emit(JSONObject(["entries": .array(entries.map { .object(AdminLogRoutes.json($0)) }),
                               "next_after": .number(Double(entries.last?.sequence ?? after))]),
                   text: entries.isEmpty ? "no entries" : entries.map(Self.line).joined(separator: "\n"))
    }

    /// `#N  time  iss sub  action  issuer target  outcome  (reason)`.
    static func line(_ entry: AdminLogEntry) -> String {
        let action = entry.action
        let reason = action.reason.isEmpty ? "" : "  (\(action.reason))"
        return "#\(entry.sequence)  \(action.at.formatted(Date.ISO8601FormatStyle()))  \(action.actorIssuer) \(action.actorSubject)  \(action.action)  "
            + "\(action.issuerID ?? "-") \(action.target.isEmpty ? "-" : action.target)  \(action.outcome)\(reason)"
    }
}

/// `keybound admin-log verify [--anchor N:HASH ...]`
struct AdminLogVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Walk the admin log's hash chain, and check that anchored entries are still there, unchanged.",
        discussion: "Exits 0 when the chain is intact and every anchor matches, 1 (naming the first broken entry on stderr) when not. The chain alone cannot tell a log cut back at its end from a shorter one: keep `keybound admin-log head` outside the database and pass it back with --anchor.")
    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("anchor"), help: "N:HASH from an earlier `keybound admin-log head` (repeatable).") var anchors: [String] = []

    func validate() throws {
        for anchor in anchors where AdminLogAnchor(anchor) == nil {
            throw ValidationError("--anchor must be N:HASH as `keybound admin-log head` prints it (64 lowercase hex digits), not '\(anchor.prefix(100))'")
        }
    }

    func run() async throws {
        let provider = try await store.openProviderStore()
        let parsed = anchors.compactMap(AdminLogAnchor.init)
        let (verdict, head) = try await storeCall { () async throws(StoreError) in try await provider.walkAdminLog(anchors: parsed) }
        switch verdict {
        case .intact(let count):
            var object = JSONObject(["intact": .bool(true), "entries": .number(Double(count)), "anchors_checked": .number(Double(parsed.count))])
            if let head { object["head"] = .string(head.anchor.text) }
            store.emit(object, text: "admin log intact: \(count) entries"
                + (head.map { "; head \($0.anchor.text)" } ?? "")
                + (parsed.isEmpty ? "" : "; \(parsed.count) anchor\(parsed.count == 1 ? "" : "s") matched"))
        case .broken(let sequence, let reason):
            if store.json {
                CLIOutput.printJSON(JSONObject(["intact": .bool(false), "broken_at": .number(Double(sequence)), "reason": .string(reason)]))
            }
            FileHandle.standardError.write(Data("keybound: admin log tampered: entry \(sequence): \(reason)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `keybound admin-log head`
struct AdminLogHeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head", abstract: "Print the last entry of a verified admin log as an anchor (N:HASH) to keep outside the database.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let provider = try await store.openProviderStore()
        let (verdict, head) = try await storeCall { () async throws(StoreError) in try await provider.walkAdminLog() }
        if case .broken(let sequence, let reason) = verdict {
            FileHandle.standardError.write(Data("keybound: admin log tampered: entry \(sequence): \(reason); no anchor printed\n".utf8))
            throw ExitCode(1)
        }
        guard let head else {
            store.emit(JSONObject(["entries": .number(0)]), text: "the admin log is empty")
            return
        }
        let anchor = head.anchor
        store.emit(JSONObject(["sequence": .number(Double(head.sequence)), "hash": .string(head.hash), "anchor": .string(anchor.text),
                               "at": StoreJSON.time(head.action.at)]),
                   text: anchor.text)
    }
}
