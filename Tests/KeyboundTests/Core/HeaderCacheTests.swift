import Foundation
@testable import Keybound
import Testing

/// The verifier's cache of judged headers: exact bytes in, the same judgement out, bounded.
@Suite("Core: the header cache")
struct HeaderCacheTests {
    /// The encoded header segment of a token signed by key `kid`.
    static func segment(kid: String) -> [UInt8] {
        Base64URL.encodedBytes(Array(#"{"alg":"ES256","kid":"\#(kid)","typ":"at+jwt"}"#.utf8))
    }

    static func judged(_ segment: [UInt8]) throws -> DecodedHeader {
        try segment.withUnsafeBytes { try DecodedHeader.decode($0).get() }
    }

    /// `count` segments that all fall in one set of the cache.
    static func segmentsInOneSet(_ count: Int) -> [[UInt8]] {
        var bySet: [Int: [[UInt8]]] = [:]
        var index = 0
        while true {
            let segment = segment(kid: "key-\(index)")
            let set = segment.withUnsafeBytes { HeaderCache.set(for: $0) }
            bySet[set, default: []].append(segment)
            if bySet[set]!.count == count { return bySet[set]! }
            index += 1
        }
    }

    @Test("as many headers as a set has ways stay cached together; one more replaces the oldest, never another's entry")
    func waysOfOneSet() throws {
        let cache = HeaderCache()
        let crowded = Self.segmentsInOneSet(HeaderCache.ways + 1)
        for segment in crowded.prefix(HeaderCache.ways) {
            try segment.withUnsafeBytes { cache.insert(try Self.judged(segment), for: $0) }
        }
        for (index, segment) in crowded.prefix(HeaderCache.ways).enumerated() {
            let found = segment.withUnsafeBytes { cache.lookup($0) }
            #expect(found != nil && found?.keyID == Self.kid(of: segment), "way \(index) lost its header")
        }
        let last = crowded[HeaderCache.ways]
        try last.withUnsafeBytes { cache.insert(try Self.judged(last), for: $0) }
        #expect(crowded[0].withUnsafeBytes { cache.lookup($0) } == nil)
        for segment in crowded.dropFirst() {
            #expect(segment.withUnsafeBytes { cache.lookup($0) }?.keyID == Self.kid(of: segment))
        }
    }

    @Test("a hit needs every byte: a segment one byte away, or a prefix, is a miss")
    func exactBytes() throws {
        let cache = HeaderCache()
        let segment = Self.segment(kid: "contoso-1")
        try segment.withUnsafeBytes { cache.insert(try Self.judged(segment), for: $0) }
        #expect(segment.withUnsafeBytes { cache.lookup($0) }?.keyID == "contoso-1")
        var altered = segment
        altered[altered.count / 2] ^= 0x01
        #expect(altered.withUnsafeBytes { cache.lookup($0) } == nil)
        #expect(Array(segment.dropLast(4)).withUnsafeBytes { cache.lookup($0) } == nil)
    }

    static func kid(of segment: [UInt8]) -> String? {
        guard let json = segment.withUnsafeBytes({ Base64URL.decode($0) }),
              case .string(let kid)? = (try? StrictJSONParser.parseObject(json))?["kid"] else { return nil }
        return kid
    }
}
