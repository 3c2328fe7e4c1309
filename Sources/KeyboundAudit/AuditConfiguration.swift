import Foundation

/// Settings of an ``AuditLog``.
public struct AuditConfiguration: Sendable, Equatable {
    /// The default retention: 180 days.
    public static let defaultRetention: TimeInterval = 180 * 86_400

    /// A checkpoint is signed after this many records (a segment's size). Default 1000.
    public var checkpointInterval: Int
    /// How long records are kept before ``AuditLog/pruneExpired(now:)`` may remove their segment. Default 180 days.
    public var retention: TimeInterval
    /// The largest number of `append` calls committed in one transaction. Default 512.
    public var maximumBatch: Int
    /// Longer strings are cut (on a character boundary) and marked with `…`. Default 4096 bytes.
    public var maximumFieldBytes: Int
    /// Longer lists (item ids, audiences, roles) keep their first entries and a last `…(+N more)` entry. Default 1000.
    public var maximumListCount: Int
    /// How long the writer waits for company before a commit when appends arrive concurrently. Default 1 ms.
    public var coalescingDelayMicroseconds: UInt32

    /// Settings; every value has a default.
    public init(checkpointInterval: Int = 1_000, retention: TimeInterval = AuditConfiguration.defaultRetention,
                maximumBatch: Int = 512, maximumFieldBytes: Int = 4_096, maximumListCount: Int = 1_000,
                coalescingDelayMicroseconds: UInt32 = 1_000) {
        self.checkpointInterval = checkpointInterval
        self.retention = retention
        self.maximumBatch = maximumBatch
        self.maximumFieldBytes = maximumFieldBytes
        self.maximumListCount = maximumListCount
        self.coalescingDelayMicroseconds = coalescingDelayMicroseconds
    }

    func validate() throws(AuditError) {
        guard checkpointInterval >= 1 else { throw AuditError(.invalidArgument, "the checkpoint interval must be at least 1 record") }
        guard retention > 0, retention.isFinite else { throw AuditError(.invalidArgument, "the retention must be a positive duration") }
        guard maximumBatch >= 1 else { throw AuditError(.invalidArgument, "the maximum batch must be at least 1") }
        guard maximumFieldBytes >= 16 else { throw AuditError(.invalidArgument, "the maximum field size must be at least 16 bytes") }
        guard maximumListCount >= 1 else { throw AuditError(.invalidArgument, "the maximum list length must be at least 1") }
    }
}
