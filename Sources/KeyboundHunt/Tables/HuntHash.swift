/// Fast, seeded, non-cryptographic hashing of byte strings for the hunt's in-memory tables.
///
/// The seed is random per hunt, so a log full of crafted client ids cannot be made to collide in
/// every hunt (it could only slow one down: the tables compare the bytes on every match).
enum HuntHash {
    /// The slot count of an open-addressing table for `capacity` entries at a load of at most one
    /// half: a power of two, at least 16. The hunt's tables index with `hash & (size - 1)`.
    static func tableSize(forCapacity capacity: Int) -> Int {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        return size
    }

    /// A new open-addressing table of `size` slots, each set to `empty` (the value that marks a free
    /// slot). The caller owns it and deallocates it.
    static func allocateTable<Slot>(size: Int, empty: Slot) -> UnsafeMutablePointer<Slot> {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: size)
        slots.initialize(repeating: empty, count: size)
        return slots
    }

    /// A strong 64-bit finalizer (SplitMix64's).
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Hashes `count` bytes at `base` into `seed`; a `nil` base (an SQL `NULL`) hashes differently
    /// from an empty string.
    @inline(__always)
    static func bytes(_ base: UnsafeRawPointer?, _ count: Int, seed: UInt64) -> UInt64 {
        guard let base else { return mix(seed ^ 0x6E75_6C6C_6E75_6C6C) }
        var hash = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while offset + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            hash = rotate(hash ^ (word &* 0x87C3_7B91_1142_53D5), 31) &* 0x4CF5_AD43_2745_937F
            offset += 8
        }
        if offset < count {
            var tail: UInt64
            if count >= 8 {
                // The last eight bytes, overlapping some already hashed (the length is in the seed).
                tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            } else {
                tail = 0
                var shift: UInt64 = 0
                while offset < count {
                    tail |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << shift
                    shift += 8
                    offset += 1
                }
            }
            hash = rotate(hash ^ (tail &* 0x87C3_7B91_1142_53D5), 31) &* 0x4CF5_AD43_2745_937F
        }
        return mix(hash)
    }

    @inline(__always)
    static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    /// A random seed for one hunt.
    static func randomSeed() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }
}
