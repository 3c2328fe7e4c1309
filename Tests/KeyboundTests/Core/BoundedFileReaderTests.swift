import Foundation
@testable import Keybound
import Testing

/// Small files read whole: secrets only when their owner alone may read them, nothing but regular
/// files, never more than the limit, and never a wait on a FIFO.
@Suite("Core: bounded and owner-only file reads", .timeLimit(.minutes(1)))
struct BoundedFileReaderTests {
    /// A file holding `contents` with `mode`, in a fresh directory (removed by the caller).
    static func file(_ contents: String, mode: mode_t) throws -> (directory: URL, path: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("secret").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
        return (directory, path)
    }

    @Test("a secret readable by its owner alone is read whole (0600, 0400); group or other bits are refused with the mode")
    func ownerOnly() throws {
        for mode: mode_t in [0o600, 0o400] {
            let (directory, path) = try Self.file("pin-1234\n", mode: mode)
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try BoundedFileReader.ownerOnlyContents(ofFile: path, limit: 64) == Array("pin-1234\n".utf8))
        }
        for mode: mode_t in [0o640, 0o604, 0o620, 0o644] {
            let (directory, path) = try Self.file("pin-1234\n", mode: mode)
            defer { try? FileManager.default.removeItem(at: directory) }
            let error = #expect(throws: BoundedFileReader.SecretFailure.self) { try BoundedFileReader.ownerOnlyContents(ofFile: path, limit: 64) }
            guard case .readableByOthers(let seen)? = error else { Issue.record("\(String(mode, radix: 8)): \(String(describing: error))"); continue }
            #expect(seen == mode)
            // Without the owner-only rule the same file reads.
            #expect(try BoundedFileReader.contents(ofFile: path, limit: 64).count == 9)
        }
    }

    @Test("a missing file, a directory, a FIFO (at once, with no writer) and a file past the limit are refused")
    func refusals() throws {
        let (directory, path) = try Self.file(String(repeating: "x", count: 65), mode: 0o600)
        defer { try? FileManager.default.removeItem(at: directory) }
        func failure(_ path: String, limit: Int = 64) -> BoundedFileReader.SecretFailure? {
            #expect(throws: BoundedFileReader.SecretFailure.self) { try BoundedFileReader.ownerOnlyContents(ofFile: path, limit: limit) }
        }
        guard case .tooLarge? = failure(path) else { Issue.record("past the limit"); return }
        #expect(try BoundedFileReader.ownerOnlyContents(ofFile: path, limit: 65).count == 65, "exactly the limit reads")
        guard case .missing? = failure(directory.appendingPathComponent("absent").path) else { Issue.record("missing"); return }
        guard case .notRegularFile? = failure(directory.path) else { Issue.record("a directory"); return }
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // Before, a FIFO was opened blocking: the read waited for a writer that never comes.
        let started = ContinuousClock.now
        guard case .notRegularFile? = failure(fifo) else { Issue.record("a FIFO"); return }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
