/// A map from 64-bit keys (an application and a mailbox, hashed together) to the last time seen,
/// in milliseconds: open addressing over one array of 16-byte (key, time) slots, so a probe
/// touches one cache line.
final class LastSeenMap {
    private struct Slot {
        var key: UInt64
        var time: Int64
    }

    private static let empty = UInt64.max

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private let seed: UInt64
    /// The number of keys.
    private(set) var count = 0

    init(seed: UInt64, capacity: Int = 4_096) {
        self.seed = seed
        let size = HuntHash.tableSize(forCapacity: capacity)
        mask = size - 1
        slots = HuntHash.allocateTable(size: size, empty: Slot(key: Self.empty, time: 0))
    }

    deinit { slots.deallocate() }

    /// Records `time` for `key` (keeping the later of the two times) and returns the time stored
    /// before, or `nil` the first time. `key` must not be `UInt64.max`.
    @inline(__always)
    func update(_ key: UInt64, _ time: Int64) -> Int64? {
        var index = Int(truncatingIfNeeded: HuntHash.mix(key ^ seed)) & mask
        while true {
            let stored = slots[index]
            if stored.key == key {
                if time > stored.time { slots[index].time = time }
                return stored.time
            }
            if stored.key == Self.empty { break }
            index = (index + 1) & mask
        }
        slots[index] = Slot(key: key, time: time)
        count += 1
        if count * 2 > mask + 1 { grow() }
        return nil
    }

    private func grow() {
        let oldSize = mask + 1
        let old = slots
        mask = oldSize * 2 - 1
        slots = HuntHash.allocateTable(size: mask + 1, empty: Slot(key: Self.empty, time: 0))
        for index in 0..<oldSize where old[index].key != Self.empty {
            var target = Int(truncatingIfNeeded: HuntHash.mix(old[index].key ^ seed)) & mask
            while slots[target].key != Self.empty { target = (target + 1) & mask }
            slots[target] = old[index]
        }
        old.deallocate()
    }
}
