import Foundation
@testable import Keybound
import Testing

/// Secret memory: its own pages, left out of core dumps and locked into RAM, as the kernel
/// reports them in `/proc/self/smaps`.
@Suite("Core: locked secret memory")
struct LockedBytesTests {
    /// The `VmFlags` of the mapping that contains `address`, from `/proc/self/smaps`.
    static func flags(containing address: UInt) throws -> [String] {
        // procfs reports a size of 0: read to the end rather than by the size.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        try #require(!smaps.isEmpty)
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
               let low = UInt(line[..<dash], radix: 16), let high = UInt(line[line.index(after: dash)..<space], radix: 16) {
                inMapping = (low..<high).contains(address)
            } else if inMapping, line.hasPrefix("VmFlags:") {
                return line.dropFirst("VmFlags:".count).split(separator: " ").map(String.init)
            }
        }
        return []
    }

    @Test("the bytes start zeroed, hold what is written, and their pages are marked do-not-dump (dd) and, when the lock succeeded, locked (lo)")
    func pagesAreLockedAndLeftOutOfDumps() throws {
        let secret = LockedBytes(count: 48)
        #expect(secret.count == 48)
        #expect(secret.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
        secret.withUnsafeMutableBytes { for index in $0.indices { $0[index] = UInt8(index) } }
        #expect(secret.withUnsafeBytes { Array($0) } == (0..<48).map(UInt8.init))
        let flags = try Self.flags(containing: secret.address)
        #expect(flags.contains("dd"), "VmFlags: \(flags)")
        if secret.isLocked {
            #expect(flags.contains("lo"), "VmFlags: \(flags)")
        } else {
            #expect(secret.lockFailure != nil)
        }
    }

    @Test("a copy holds exactly the bytes given, and wipe zeroes a buffer")
    func copyAndWipe() {
        var source: [UInt8] = Array(repeating: 0xA5, count: 5000)
        let secret = source.withUnsafeBytes { LockedBytes(copying: $0) }
        #expect(secret.withUnsafeBytes { Array($0) } == source)
        source.withUnsafeMutableBytes { LockedBytes.wipe($0) }
        #expect(source.allSatisfy { $0 == 0 })
        #expect(secret.withUnsafeBytes { $0.allSatisfy { $0 == 0xA5 } }, "the copy is its own")
    }
}
