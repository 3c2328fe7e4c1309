import KeyboundAudit

/// The hunt's audit source over an ``AuditLog`` of any backend (PostgreSQL in production): pages
/// of records in sequence order through the log's storage, up to the head as it was when the hunt
/// began. The records that the findings and leads name are kept as they are read, so nothing is
/// read twice.
enum StorageHuntSource {
    /// Records per page.
    static let pageSize = 2_000

    /// Scans `log` with `scanner`; the records the findings and leads name.
    static func scan(_ log: AuditLog, with scanner: AuditScanner) async throws(HuntError) -> [Int64: AuditRecord] {
        let row = RecordScanRow()
        var kept: [Int64: AuditRecord] = [:]
        var after: Int64 = 0
        var last: Int64?
        do {
            let head = try await log.lastSequence()
            while after < head {
                let page = try await log.records(after: after, limit: pageSize)
                for record in page where record.sequence <= head {
                    let listed = scanner.listedCount
                    row.load(record)
                    scanner.consume(row)
                    if scanner.listedCount != listed { kept[record.sequence] = record }
                    last = record.sequence
                }
                guard let next = page.last?.sequence, next > after else { break }
                after = next
            }
        } catch {
            throw HuntError(.auditUnavailable, "cannot read the audit log at \(log.location): \(error.message)")
        }
        scanner.finish(lastSequence: last)
        return kept
    }
}
