import Foundation
@testable import Keybound
import Testing

/// Secret memory: its own pages, left out of core dumps and locked into RAM, as the kernel
/// reports them in `/proc/self/smaps`.
@Suite("Core: locked secret memory")
struct LockedBytesTests {
    @Test("the bytes start zeroed, hold what is written, and their pages are marked do-not-dump (dd) and, when the lock succeeded, locked (lo)")
    func pagesAreLockedAndLeftOutOfDumps() throws {
        let secret = LockedBytes(count: 48)
        #expect(secret.count == 48)
        #expect(secret.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
        secret.withUnsafeMutableBytes { for index in $0.indices { $0[index] = UInt8(index) } }
        #expect(secret.withUnsafeBytes { Array($0) } == (0..<48).map(UInt8.init))
        let flags = try MemoryMappingFlags.of(secret.address)
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
