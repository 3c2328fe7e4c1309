import Foundation

/// Interns pairs of byte strings (either may be absent, as an SQL `NULL`) as dense ids 0, 1, 2, …
/// without building Swift strings: the hunt's scan feeds it the bytes SQLite hands out.
///
/// Open addressing over a power-of-two table, the bytes kept once in an arena. Not thread-safe:
/// one scan owns it.
final class PairInterner {
    private struct Entry {
        var firstOffset: Int
        var firstCount: Int  // -1: absent
        var secondOffset: Int
        var secondCount: Int  // -1: absent
    }

    private var slots: UnsafeMutablePointer<Int32>
    private var slotHashes: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private var entries: [Entry] = []
    private var arena: UnsafeMutableRawPointer
    private var arenaCount = 0
    private var arenaCapacity: Int
    private let seed: UInt64

    /// The number of distinct pairs interned.
    var count: Int { entries.count }

    init(seed: UInt64, capacity: Int = 1_024) {
        self.seed = seed
        let size = HuntHash.tableSize(forCapacity: capacity)
        mask = size - 1
        slots = HuntHash.allocateTable(size: size, empty: -1)
        slotHashes = HuntHash.allocateTable(size: size, empty: 0)
        arenaCapacity = 64 * 1_024
        arena = .allocate(byteCount: arenaCapacity, alignment: 8)
    }

    deinit {
        slots.deallocate()
        slotHashes.deallocate()
        arena.deallocate()
    }

    /// The id of the pair, and whether it was seen for the first time. `nil` bases are absent values.
    @inline(__always)
    func id(_ first: UnsafeRawPointer?, _ firstCount: Int, _ second: UnsafeRawPointer?, _ secondCount: Int) -> (id: Int32, isNew: Bool) {
        let hash = HuntHash.bytes(second, secondCount, seed: HuntHash.bytes(first, firstCount, seed: seed))
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot < 0 { break }
            if slotHashes[index] == hash && matches(Int(slot), first, firstCount, second, secondCount) { return (slot, false) }
            index = (index + 1) & mask
        }
        let id = Int32(entries.count)
        let firstEntry = store(first, firstCount)
        let secondEntry = store(second, secondCount)
        entries.append(Entry(firstOffset: firstEntry.offset, firstCount: firstEntry.count,
                             secondOffset: secondEntry.offset, secondCount: secondEntry.count))
        slots[index] = id
        slotHashes[index] = hash
        if entries.count * 2 > mask + 1 { grow() }
        return (id, true)
    }

    /// The id of a pair of Swift strings (for lookups outside the scan).
    func id(_ first: String?, _ second: String?) -> Int32 {
        var first = first.map { Array($0.utf8) }
        var second = second.map { Array($0.utf8) }
        return Self.withBytes(&first) { a, aCount in Self.withBytes(&second) { b, bCount in id(a, aCount, b, bCount).id } }
    }

    /// The strings of pair `id` (invalid UTF-8 repaired).
    func strings(_ id: Int32) -> (first: String?, second: String?) {
        let entry = entries[Int(id)]
        return (string(entry.firstOffset, entry.firstCount), string(entry.secondOffset, entry.secondCount))
    }

    private func string(_ offset: Int, _ count: Int) -> String? {
        guard count >= 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: arena + offset, count: count), as: UTF8.self)
    }

    @inline(__always)
    private func matches(_ id: Int, _ first: UnsafeRawPointer?, _ firstCount: Int, _ second: UnsafeRawPointer?, _ secondCount: Int) -> Bool {
        let entry = entries[id]
        return same(entry.firstOffset, entry.firstCount, first, firstCount)
            && same(entry.secondOffset, entry.secondCount, second, secondCount)
    }

    @inline(__always)
    private func same(_ offset: Int, _ count: Int, _ bytes: UnsafeRawPointer?, _ byteCount: Int) -> Bool {
        guard let bytes else { return count < 0 }
        guard count == byteCount else { return false }
        return count == 0 || memcmp(arena + offset, bytes, count) == 0
    }

    private func store(_ bytes: UnsafeRawPointer?, _ count: Int) -> (offset: Int, count: Int) {
        guard let bytes else { return (0, -1) }
        if arenaCount + count > arenaCapacity {
            var capacity = arenaCapacity * 2
            while arenaCount + count > capacity { capacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            grown.copyMemory(from: arena, byteCount: arenaCount)
            arena.deallocate()
            arena = grown
            arenaCapacity = capacity
        }
        let offset = arenaCount
        if count > 0 { (arena + offset).copyMemory(from: bytes, byteCount: count) }
        arenaCount += count
        return (offset, count)
    }

    private func grow() {
        let oldSize = mask + 1
        let oldSlots = slots, oldHashes = slotHashes
        let size = oldSize * 2
        mask = size - 1
        slots = HuntHash.allocateTable(size: size, empty: -1)
        slotHashes = HuntHash.allocateTable(size: size, empty: 0)
        for old in 0..<oldSize where oldSlots[old] >= 0 {
            var index = Int(truncatingIfNeeded: oldHashes[old]) & mask
            while slots[index] >= 0 { index = (index + 1) & mask }
            slots[index] = oldSlots[old]
            slotHashes[index] = oldHashes[old]
        }
        oldSlots.deallocate()
        oldHashes.deallocate()
    }

    private static func withBytes<T>(_ bytes: inout [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> T) -> T {
        guard bytes != nil else { return body(nil, 0) }
        return bytes!.withUnsafeBytes { buffer in
            // An empty string still needs a non-nil base (nil means absent).
            body(buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, buffer.count)
        }
    }
}
