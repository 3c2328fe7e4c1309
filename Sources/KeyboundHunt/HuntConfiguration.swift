import Foundation
import KeyboundAudit
import KeyboundStore

/// Where the hunt reads the audit log.
public enum HuntAuditSource: Sendable {
    /// `audit.sqlite` in this directory, read-only, through the SQLite fast path.
    case sqliteDirectory(URL)
    /// An open log of any backend (PostgreSQL), read in pages through its storage.
    case log(AuditLog)

    /// Where the log is, for messages (no secret).
    public var location: String {
        switch self {
        case .sqliteDirectory(let directory): directory.appendingPathComponent(AuditLog.fileName).path
        case .log(let log): log.location
        }
    }
}

/// What to hunt over and for.
public struct HuntConfiguration: Sendable {
    /// A key to trace: its issuer (URL, or the key store's issuer id) and its `kid`.
    public struct KeySelector: Sendable, Equatable {
        /// The issuer URL (`iss`) or the issuer's id in the key store.
        public var issuer: String
        /// The `kid`.
        public var keyID: String

        /// A selector.
        public init(issuer: String, keyID: String) {
            self.issuer = issuer
            self.keyID = keyID
        }
    }

    /// The audit log.
    public var audit: HuntAuditSource
    /// The key store (issuers, keys with their states, key events). Read only.
    public var keyStore: any KeyStore
    /// The provider store whose issuances are the ledger. Read only. An SQLite store's ledger is
    /// read through a fast path of its own.
    public var ledger: any ProviderStore
    /// The key to trace, if any (finding 1, key use).
    public var key: KeySelector?
    /// Only records at or after this time are reported (the look-back still reads earlier ones).
    public var since: Date?
    /// Only records at or before this time are reported.
    public var until: Date?
    /// How far back the first-time-access rule looks (default 30 days).
    public var lookback: TimeInterval
    /// At most this many findings of each kind, and this many leads, are listed in full
    /// (their counts are always exact).
    public var maximumListed: Int
    /// SQLite only: `mmap_size` for the audit log's read connection, in bytes (0: plain reads). Pages
    /// mapped in count towards the process's resident memory, so the default stays modest.
    public var memoryMapBytes: Int
    /// SQLite only: the page cache of the read connection, in KiB.
    public var cacheKiB: Int
    /// The report's generation time.
    public var now: Date

    /// The default look-back: 30 days.
    public static let defaultLookback: TimeInterval = 30 * 86_400
    /// The default page cache of the read connection, in KiB: small, so the pages of a sequential
    /// scan stay in the CPU caches (measured faster than 8 MiB).
    public static let defaultCacheKiB = 256

    /// A configuration over the three stores, with `audit.sqlite` in `auditDirectory`; everything
    /// else has its default.
    public init(auditDirectory: URL, keyStore: any KeyStore, ledger: any ProviderStore, key: KeySelector? = nil,
                since: Date? = nil, until: Date? = nil, lookback: TimeInterval = HuntConfiguration.defaultLookback,
                maximumListed: Int = 1_000, memoryMapBytes: Int = 0, cacheKiB: Int = HuntConfiguration.defaultCacheKiB,
                now: Date = Date()) {
        self.init(audit: .sqliteDirectory(auditDirectory), keyStore: keyStore, ledger: ledger, key: key, since: since, until: until,
                  lookback: lookback, maximumListed: maximumListed, memoryMapBytes: memoryMapBytes, cacheKiB: cacheKiB, now: now)
    }

    /// A configuration over the three stores; everything else has its default.
    public init(audit: HuntAuditSource, keyStore: any KeyStore, ledger: any ProviderStore, key: KeySelector? = nil,
                since: Date? = nil, until: Date? = nil, lookback: TimeInterval = HuntConfiguration.defaultLookback,
                maximumListed: Int = 1_000, memoryMapBytes: Int = 0, cacheKiB: Int = HuntConfiguration.defaultCacheKiB,
                now: Date = Date()) {
        self.audit = audit
        self.keyStore = keyStore
        self.ledger = ledger
        self.key = key
        self.since = since
        self.until = until
        self.lookback = lookback
        self.maximumListed = maximumListed
        self.memoryMapBytes = memoryMapBytes
        self.cacheKiB = cacheKiB
        self.now = now
    }

    /// Throws ``HuntErrorCode/invalidConfiguration`` for settings that cannot describe a hunt
    /// (checked before any store is read).
    public func validate() throws(HuntError) {
        if let since, let until, since > until {
            throw HuntError(.invalidConfiguration, "the window's start (since) is after its end (until)")
        }
        guard lookback.isFinite, lookback > 0, lookback <= 3_650 * 86_400 else {
            throw HuntError(.invalidConfiguration, "the look-back must be between 1 second and 3650 days")
        }
        guard maximumListed >= 0 else { throw HuntError(.invalidConfiguration, "maximumListed must not be negative") }
        if let key, key.issuer.isEmpty || key.keyID.isEmpty {
            throw HuntError(.invalidConfiguration, "a traced key needs both an issuer and a kid")
        }
    }
}
