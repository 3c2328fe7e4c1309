import Crypto
import Foundation

/// The admin log's hash chain. Each entry's hash covers its number, the previous entry's hash and
/// every field of its action, each written as an 8-byte big-endian length and its UTF-8 bytes (the
/// time as the bit pattern of its seconds since 1970), so no two different entries hash alike.
/// Changing, removing, inserting or reordering an entry breaks every hash after it.
public enum AdminLogChain {
    /// The previous hash of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of entry `sequence` holding `action`, after the entry whose hash is `previousHash`.
    public static func hash(sequence: Int64, previousHash: String, action: AdminAction) -> String {
        var bytes: [UInt8] = []
        func field(_ value: some Sequence<UInt8>) {
            let data = Array(value)
            withUnsafeBytes(of: UInt64(data.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: data)
        }
        withUnsafeBytes(of: UInt64(bitPattern: sequence).bigEndian) { field($0) }
        field(previousHash.utf8)
        withUnsafeBytes(of: action.at.timeIntervalSince1970.bitPattern.bigEndian) { field($0) }
        for text in [action.actorIssuer, action.actorSubject, action.action] { field(text.utf8) }
        // An absent issuer and an empty one differ.
        field(action.issuerID.map { [1] + Array($0.utf8) } ?? [0])
        for text in [action.target, action.reason, action.outcome] { field(text.utf8) }
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The entry that follows `last` (or starts the log) with `action`.
    public static func entry(after last: (sequence: Int64, hash: String)?, action: AdminAction) -> AdminLogEntry {
        let sequence = (last?.sequence ?? 0) + 1
        let previous = last?.hash ?? genesis
        return AdminLogEntry(sequence: sequence, action: action, previousHash: previous,
                             hash: hash(sequence: sequence, previousHash: previous, action: action))
    }

    /// What a walk of the whole log found.
    public enum Verdict: Sendable, Equatable {
        /// Every entry links to the one before and hashes to its recorded hash; `entries` of them.
        case intact(entries: Int)
        /// The first entry that does not: its number and why.
        case broken(sequence: Int64, reason: String)
    }

    /// Walks `entries`, the whole log in order.
    public static func verify(_ entries: [AdminLogEntry]) -> Verdict {
        var walk = Walk()
        for entry in entries {
            if let broken = walk.next(entry) { return broken }
        }
        return .intact(entries: walk.count)
    }

    /// A walk of the log in order, an entry at a time, so that a long log is checked a page at a
    /// time without holding it.
    public struct Walk: Sendable {
        private var previous = AdminLogChain.genesis
        private var expected: Int64 = 1
        /// The entries checked so far.
        public private(set) var count = 0
        /// The last entry checked: the head of the log once the walk is over.
        public private(set) var last: AdminLogEntry?

        public init() {}

        /// Checks the next entry: `nil` when it links to the one before and hashes to its recorded
        /// hash, else why not.
        public mutating func next(_ entry: AdminLogEntry) -> Verdict? {
            guard entry.sequence == expected else {
                return .broken(sequence: entry.sequence, reason: "expected entry \(expected): an entry is missing or out of order")
            }
            guard entry.previousHash == previous else {
                return .broken(sequence: entry.sequence, reason: "its previous hash is not the hash of entry \(expected - 1)")
            }
            guard AdminLogChain.hash(sequence: entry.sequence, previousHash: entry.previousHash, action: entry.action) == entry.hash else {
                return .broken(sequence: entry.sequence, reason: "its fields do not hash to its recorded hash: it was changed")
            }
            previous = entry.hash
            expected += 1
            count += 1
            last = entry
            return nil
        }
    }
}

/// An entry's number and hash, kept outside the database (`keybound admin-log head`, or the
/// `head` of `GET /admin/admin-log`): a later walk checks that the log still holds that entry,
/// unchanged. The chain alone cannot tell a log cut back at its end from a shorter one; an anchor
/// can.
public struct AdminLogAnchor: Sendable, Equatable {
    /// The entry's number.
    public let sequence: Int64
    /// Its hash (64 lowercase hex digits).
    public let hash: String

    /// An anchor.
    public init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    /// `N:HASH`, as `keybound admin-log head` prints it; `nil` when `text` is not that.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count <= 18, parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let sequence = Int64(parts[0]), sequence >= 1, parts[1].utf8.count == 64,
              parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        self.init(sequence: sequence, hash: String(parts[1]))
    }

    /// `N:HASH`.
    public var text: String { "\(sequence):\(hash)" }
}

extension AdminLogEntry {
    /// This entry as an anchor, to keep outside the database.
    public var anchor: AdminLogAnchor { AdminLogAnchor(sequence: sequence, hash: hash) }
}

/// The admin log: a hash-chained, append-only record of every state-changing admin action, kept
/// in the provider's store (so every node of a PostgreSQL deployment writes one chain).
public protocol AdminLogStore: Sendable {
    /// Appends `action` as the next entry of the chain, in one transaction, and returns the entry.
    @discardableResult
    func appendAdminAction(_ action: AdminAction) async throws(StoreError) -> AdminLogEntry
    /// Entries after `sequence`, oldest first, at most `limit`: every issuer's, or with `issuerID`
    /// only those acting on that issuer (exact bytes).
    func adminLog(issuerID: String?, after sequence: Int64, limit: Int) async throws(StoreError) -> [AdminLogEntry]
}

extension AdminLogStore {
    /// Walks the whole chain, a page of 1,000 entries at a time, holding one page.
    public func verifyAdminLog() async throws(StoreError) -> AdminLogChain.Verdict {
        try await walkAdminLog().verdict
    }

    /// Walks the whole chain a page at a time, and checks that each anchor's entry is still there
    /// with its hash: the verdict, and the head (the last entry) when the chain is intact.
    public func walkAdminLog(anchors: [AdminLogAnchor] = []) async throws(StoreError) -> (verdict: AdminLogChain.Verdict, head: AdminLogEntry?) {
        var walk = AdminLogChain.Walk()
        var after: Int64 = 0
        while true {
            let page = try await adminLog(issuerID: nil, after: after, limit: 1_000)
            for entry in page {
                if let broken = walk.next(entry) { return (broken, nil) }
                if let anchor = anchors.first(where: { $0.sequence == entry.sequence }), anchor.hash != entry.hash {
                    return (.broken(sequence: entry.sequence, reason: "its hash is not the anchor's: the log was rewritten from here or before"), nil)
                }
            }
            guard let last = page.last, page.count == 1_000 else { break }
            after = last.sequence
        }
        if let missing = anchors.filter({ $0.sequence > Int64(walk.count) }).min(by: { $0.sequence < $1.sequence }) {
            return (.broken(sequence: missing.sequence, reason: "the log ends at entry \(walk.count): it was cut back before this anchored entry"), nil)
        }
        return (.intact(entries: walk.count), walk.last)
    }
}
