import Keybound

/// The outcome of ``AuditVerifier/verify(directory:trustedKeyID:anchor:)``.
public struct AuditVerificationReport: Sendable, Equatable {
    /// The first problem found, or `nil` when the log is intact.
    public var problem: AuditProblem?
    /// Whether no problem was found.
    public var isIntact: Bool { problem == nil }
    /// The number of records whose hash was recomputed and matched.
    public var recordsChecked: Int64 = 0
    /// The first retained record (after pruning), if any.
    public var firstSequence: Int64?
    /// The last record, if any.
    public var lastSequence: Int64?
    /// The number of checkpoints whose signature and links were checked.
    public var checkpointsChecked: Int = 0
    /// The segments removed by signed pruning.
    public var segmentsPruned: Int64 = 0
    /// Records after the last checkpoint: chained, but not yet covered by a signature, so they could
    /// be cut off without detection (see `docs/audit.md`).
    public var uncheckpointedRecords: Int64 = 0
    /// The ids of the keys that signed the checked checkpoints.
    public var keyIDs: [String] = []

    /// One line: `audit log intact: …` or the problem.
    public var summary: String {
        guard let problem else {
            let range = firstSequence.map { "records \($0) to \(lastSequence ?? $0)" } ?? "no records"
            return "audit log intact: \(range) (\(recordsChecked) checked), \(checkpointsChecked) checkpoints, "
                + "\(segmentsPruned) segments pruned, \(uncheckpointedRecords) records after the last checkpoint"
        }
        return problem.description
    }

    /// The report as JSON: `intact`, the problem's `error` code, `message`, `sequence` and `segment`, and the counts.
    public var jsonObject: JSONObject {
        var object = JSONObject(["intact": .bool(isIntact)])
        if let problem {
            object["error"] = .string(problem.code)
            object["message"] = .string(problem.description)
            object["sequence"] = problem.sequence.map { .number(Double($0)) } ?? .null
            object["segment"] = problem.segment.map { .number(Double($0)) } ?? .null
        }
        object["records_checked"] = .number(Double(recordsChecked))
        object["first_sequence"] = firstSequence.map { .number(Double($0)) } ?? .null
        object["last_sequence"] = lastSequence.map { .number(Double($0)) } ?? .null
        object["checkpoints_checked"] = .number(Double(checkpointsChecked))
        object["segments_pruned"] = .number(Double(segmentsPruned))
        object["uncheckpointed_records"] = .number(Double(uncheckpointedRecords))
        object["key_ids"] = .array(keyIDs.map(JSONValue.string))
        return object
    }
}
