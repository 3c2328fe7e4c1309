/// The set of claims digests the issuance ledger holds (their first 128 bits), for a membership
/// test per audit record: open addressing over one array of 16-byte slots (one cache line per
/// probe), at a load of at most one half. The all-zero digest marks an empty slot and is kept aside.
final class DigestSet {
    private var slots: UnsafeMutablePointer<DigestKey>
    private var mask: Int
    private let seed: UInt64
    private var hasZero = false
    /// The number of digests.
    private(set) var count = 0

    init(seed: UInt64, capacity: Int = 1_024) {
        self.seed = seed
        let size = HuntHash.tableSize(forCapacity: capacity)
        mask = size - 1
        slots = HuntHash.allocateTable(size: size, empty: DigestKey(high: 0, low: 0))
    }

    deinit { slots.deallocate() }

    /// Adds a digest.
    func insert(_ key: DigestKey) {
        if key.high == 0 && key.low == 0 {
            if !hasZero { count += 1 }
            hasZero = true
            return
        }
        var index = slot(key)
        while true {
            let stored = slots[index]
            if stored.high == key.high && stored.low == key.low { return }
            if stored.high == 0 && stored.low == 0 { break }
            index = (index + 1) & mask
        }
        slots[index] = key
        count += 1
        if count * 2 > mask + 1 { grow() }
    }

    /// Whether the digest is in the set.
    @inline(__always)
    func contains(_ key: DigestKey) -> Bool {
        if key.high == 0 && key.low == 0 { return hasZero }
        var index = slot(key)
        while true {
            let stored = slots[index]
            if stored.high == key.high && stored.low == key.low { return true }
            if stored.high == 0 && stored.low == 0 { return false }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    private func slot(_ key: DigestKey) -> Int {
        Int(truncatingIfNeeded: HuntHash.mix(key.high ^ seed) ^ key.low) & mask
    }

    private func grow() {
        let oldSize = mask + 1
        let old = slots
        mask = oldSize * 2 - 1
        slots = HuntHash.allocateTable(size: mask + 1, empty: DigestKey(high: 0, low: 0))
        count = hasZero ? 1 : 0
        for index in 0..<oldSize where old[index].high != 0 || old[index].low != 0 { insert(old[index]) }
        old.deallocate()
    }
}
