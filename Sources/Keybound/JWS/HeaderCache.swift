import Foundation

/// A small cache of judged protected headers, keyed by the exact bytes of the header segment.
///
/// Every token a key signs carries the same header, so verifiers see a handful of distinct
/// header segments. Decoding one is a pure function of its bytes, so caching the result changes no
/// verdict: a segment is only ever mapped to what ``DecodedHeader/decode(_:)`` made of those same
/// bytes. Only headers that passed are cached. The table has a fixed number of slots; a new
/// header replaces whatever occupied its slot, so junk headers cannot grow it.
final class HeaderCache: @unchecked Sendable {
    private struct Entry {
        let segment: [UInt8]
        let header: DecodedHeader
    }

    private static let slotCount = 64
    private let lock = NSLock()
    private var slots: [Entry?]

    init() { slots = Array(repeating: nil, count: Self.slotCount) }

    /// Segments longer than this are not cached (a header is normally under 200 bytes).
    private static let maximumSegmentLength = 512

    func lookup(_ segment: UnsafeRawBufferPointer) -> DecodedHeader? {
        guard segment.count <= Self.maximumSegmentLength else { return nil }
        let slot = Self.slot(for: segment)
        lock.lock()
        defer { lock.unlock() }
        guard let entry = slots[slot], entry.segment.count == segment.count else { return nil }
        let equal = entry.segment.withUnsafeBytes { stored in memcmp(stored.baseAddress!, segment.baseAddress!, segment.count) == 0 }
        return equal ? entry.header : nil
    }

    func insert(_ header: DecodedHeader, for segment: UnsafeRawBufferPointer) {
        guard segment.count <= Self.maximumSegmentLength, !segment.isEmpty else { return }
        let entry = Entry(segment: Array(segment), header: header)
        let slot = Self.slot(for: segment)
        lock.lock()
        slots[slot] = entry
        lock.unlock()
    }

    private static func slot(for segment: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: segment)
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(slotCount))
    }
}
