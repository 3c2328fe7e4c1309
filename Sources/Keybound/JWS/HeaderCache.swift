import Foundation

/// A small cache of judged protected headers, keyed by the exact bytes of the header segment.
///
/// Every token a key signs carries the same header, so verifiers see a handful of distinct
/// header segments. Decoding one is a pure function of its bytes, so caching the result changes no
/// verdict: a segment is only ever mapped to what ``DecodedHeader/decode(_:)`` made of those same
/// bytes. Only headers that passed are cached. The table has a fixed size, 64 sets of 4 ways: a
/// segment may sit in any way of the set its hash picks, and a new header replaces the set's ways
/// in turn, so junk headers cannot grow it, and a verifier trusting dozens of keys does not see
/// two of its headers evict each other (as one slot per hash did: 18 headers in 64 slots collide
/// in most processes).
final class HeaderCache: @unchecked Sendable {
    private struct Entry {
        let segment: [UInt8]
        let header: DecodedHeader
    }

    static let setCount = 64
    static let ways = 4
    private let lock = NSLock()
    private var slots: [Entry?]
    /// The way each set replaces next.
    private var nextVictim: [UInt8]

    init() {
        slots = Array(repeating: nil, count: Self.setCount * Self.ways)
        nextVictim = Array(repeating: 0, count: Self.setCount)
    }

    /// Segments longer than this are not cached (a header is normally under 200 bytes).
    private static let maximumSegmentLength = 512

    func lookup(_ segment: UnsafeRawBufferPointer) -> DecodedHeader? {
        guard segment.count <= Self.maximumSegmentLength, !segment.isEmpty else { return nil }
        let first = Self.set(for: segment) * Self.ways
        lock.lock()
        defer { lock.unlock() }
        for slot in first..<(first + Self.ways) {
            guard let entry = slots[slot], entry.segment.count == segment.count else { continue }
            let equal = entry.segment.withUnsafeBytes { stored in memcmp(stored.baseAddress!, segment.baseAddress!, segment.count) == 0 }
            if equal { return entry.header }
        }
        return nil
    }

    func insert(_ header: DecodedHeader, for segment: UnsafeRawBufferPointer) {
        guard segment.count <= Self.maximumSegmentLength, !segment.isEmpty else { return }
        let entry = Entry(segment: Array(segment), header: header)
        let set = Self.set(for: segment)
        lock.lock()
        defer { lock.unlock() }
        let first = set * Self.ways
        let way = (0..<Self.ways).first { slots[first + $0] == nil } ?? Int(nextVictim[set])
        slots[first + way] = entry
        nextVictim[set] = UInt8((way + 1) % Self.ways)
    }

    /// This process's hash seed, so which headers share a slot differs from process to process. It
    /// comes from Swift's own per-process seed, which `SWIFT_DETERMINISTIC_HASHING` fixes for
    /// reproducible instruction counts.
    private static let seed: UInt64 = {
        var hasher = Hasher()
        hasher.combine(0x6B65_7962_6F75_6E64 as UInt64)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }()

    /// The set of `segment`: a seeded multiply–xor hash over its 8-byte words. A collision costs
    /// an eviction, never a wrong answer (a hit compares every byte), so it need not resist forgery
    /// as a hash table's does; it must only be cheap next to the header's decoding.
    static func set(for segment: UnsafeRawBufferPointer) -> Int {
        var hash = seed ^ UInt64(segment.count)
        var index = 0
        while index + 8 <= segment.count {
            hash = (hash ^ segment.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            index += 8
        }
        while index < segment.count {
            hash = (hash ^ UInt64(segment[index])) &* 0x9E37_79B9_7F4A_7C15
            index += 1
        }
        hash ^= hash >> 32
        return Int(hash % UInt64(setCount))
    }
}
