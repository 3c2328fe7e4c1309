import Foundation
import KeyboundAudit

/// `KeyboundHuntBench chain --dir DIR --to DIR2`: a copy of DIR whose audit log is a real hash
/// chain with signed checkpoints (the generator writes filler hashes, for speed), so that
/// `keybound audit verify` passes and `keybound migrate` accepts it: DIR's records appended in
/// order, through the public `AuditLog`, to a new log in DIR2 beside copies of DIR's key store,
/// ledger, KEK file and `planted.json`.
enum HuntBenchChain {
    static func run(from source: URL, to target: URL) async throws {
        let started = ContinuousClock.now
        guard !FileManager.default.fileExists(atPath: target.path) else { fail("'\(target.path)' exists already") }
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for name in ["keybound.sqlite", "provider.sqlite", "keybound-dev.kek", "planted.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: target.appendingPathComponent(name))
        }
        let from = try AuditLog(directory: source)
        let to = try AuditLog(directory: target)
        var after: Int64 = 0, copied = 0
        while true {
            let page = try await from.records(after: after, limit: 5_000)
            guard let last = page.last else { break }
            _ = try await to.appendAlone(page)
            copied += page.count
            after = last.sequence
        }
        _ = try await to.checkpoint()
        HuntBench.say("chained \(copied) audit records into \(target.path) in \(ContinuousClock.now - started)")
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("KeyboundHuntBench: \(message)\n".utf8))
        exit(2)
    }
}
