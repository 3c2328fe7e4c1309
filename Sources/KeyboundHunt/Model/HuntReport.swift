import Foundation
import KeyboundStore

/// Everything a hunt found, ready for ``HuntReport/jsonObject``, ``HuntReport/text``,
/// ``HuntReport/markdown`` and ``HuntReport/html``.
public struct HuntReport: Sendable {
    /// What was scanned, and how fast.
    public struct Scan: Sendable {
        /// Every record read (the whole log: the look-back needs records before the window).
        public var recordsScanned = 0
        /// Records inside the window.
        public var recordsInWindow = 0
        /// Allowed records in the window whose `iss` is not an issuer of this key store: the
        /// ledger cannot judge them (a mail server trusting other providers too).
        public var recordsOfUnknownIssuers = 0
        /// Denials `key_not_active` of genuinely issued tokens presented after they expired (an old
        /// client after a normal rotation): counted, not flagged.
        public var staleTokensOnInactiveKeys = 0
        /// The first and last sequence numbers of the log.
        public var firstSequence: Int64?
        /// The last sequence number.
        public var lastSequence: Int64?
        /// The first record's time: the first-time rule needs the look-back window after it.
        public var logStart: Date?
        /// The last record's time.
        public var logEnd: Date?
        /// Access and ID tokens in the ledger.
        public var ledgerTokens = 0
        /// Seconds the scan of the audit log took (wall clock).
        public var scanSeconds = 0.0
        /// Seconds the whole hunt took.
        public var totalSeconds = 0.0

        /// Records scanned per second of scan.
        public var recordsPerSecond: Double { scanSeconds > 0 ? Double(recordsScanned) / scanSeconds : 0 }
    }

    /// When the report was made.
    public var generatedAt: Date
    /// The window's start, if any.
    public var since: Date?
    /// The window's end, if any.
    public var until: Date?
    /// The first-time rule's look-back.
    public var lookback: TimeInterval
    /// What was scanned.
    public var scan: Scan
    /// Malicious findings, by time (at most the configured number listed per kind).
    public var findings: [HuntFinding]
    /// The exact number of findings per kind.
    public var findingCounts: [HuntFinding.Kind: Int]
    /// First-time-access leads, by time (at most the configured number listed).
    public var leads: [HuntLead]
    /// The exact number of leads.
    public var leadCount: Int
    /// The traced key's use, when a key was given.
    public var keyUse: HuntKeyUse?
    /// Key events (creation, activation, retirement, revocation) inside the window.
    public var keyEvents: [KeyEvent]
    /// Notes on coverage (for example records the ledger cannot judge).
    public var notes: [String]

    /// The number of malicious findings (leads not included).
    public var maliciousCount: Int { findingCounts.values.reduce(0, +) }
    /// Whether anything malicious was found. Leads alone never make a hunt malicious.
    public var isMalicious: Bool { maliciousCount > 0 }
    /// Whether some findings are counted but not listed.
    public var findingsTruncated: Bool { findings.count < maliciousCount }
    /// Whether some leads are counted but not listed.
    public var leadsTruncated: Bool { leads.count < leadCount }

    /// The exact number of findings in `category`.
    public func count(_ category: HuntFinding.Category) -> Int {
        findingCounts.filter { $0.key.category == category }.values.reduce(0, +)
    }
}
