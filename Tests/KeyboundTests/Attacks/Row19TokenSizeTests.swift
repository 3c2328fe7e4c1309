import Foundation
import Testing
import Keybound

/// Attack catalog row 19: token length and dot-flood denial of service. Input above the limit
/// (16 KiB by default) is `token_too_large` before any splitting or decoding; a flood of dots
/// below the limit is `malformed_token` after a bounded split.
@Suite("Row 19: token size and dot flood")
struct Row19TokenSizeTests {
    /// A validly signed ES256 token of exactly `length` bytes (or the nearest reachable length below).
    static func paddedToken(length: Int) throws -> String {
        let header = AttackFixture.header(AttackKeys.es256)
        let headerLength = AttackEncoding.b64(header).count
        let signatureLength = 86
        for pad in stride(from: length * 3 / 4, through: 0, by: -1) {
            let payload = AttackFixture.claims([("pad", AttackFixture.quoted(String(repeating: "a", count: pad)))])
            let total = headerLength + 1 + AttackEncoding.b64(payload).count + 1 + signatureLength
            if total == length { return try AttackFixture.sign(header: header, payload: payload, with: AttackKeys.es256) }
            if total < length - 4 { break }
        }
        throw AttackTestError("no padding produced a token of \(length) bytes")
    }

    /// The first of `lengths` for which a padded token exists.
    static func firstToken(_ lengths: [Int]) throws -> String {
        for length in lengths {
            if let token = try? paddedToken(length: length) { return token }
        }
        throw AttackTestError("no padded token of lengths \(lengths)")
    }

    static let limit = VerificationPolicy.defaultMaximumTokenSize

    @Test("A valid token just over 16 KiB (16 385…16 387 bytes) → token_too_large")
    func justOverLimit() throws {
        let fixture = try AttackFixture()
        let token = try Self.firstToken([Self.limit + 1, Self.limit + 2, Self.limit + 3])
        #expect(token.utf8.count > Self.limit && token.utf8.count <= Self.limit + 3)
        fixture.expectRejected(token, .tokenTooLarge)
    }

    @Test("A valid token of exactly 16 KiB (or up to 3 bytes below) verifies")
    func atLimit() throws {
        let fixture = try AttackFixture()
        let token = try Self.firstToken([Self.limit, Self.limit - 1, Self.limit - 2, Self.limit - 3])
        #expect(token.utf8.count <= Self.limit && token.utf8.count >= Self.limit - 3)
        fixture.expectAccepted(token)
    }

    @Test("A 1 MB string of dots → token_too_large, at the default and the largest limit",
          arguments: [VerificationPolicy.defaultMaximumTokenSize, 262_144])
    func megabyteOfDots(limit: Int) throws {
        let fixture = try AttackFixture(maximumTokenSize: limit)
        fixture.expectRejected(String(repeating: ".", count: 1_000_000), .tokenTooLarge)
    }

    @Test("A 1 MB header with a valid signature → token_too_large")
    func megabyteHeader() throws {
        let fixture = try AttackFixture(maximumTokenSize: 262_144)
        let header = AttackFixture.header(AttackKeys.es256, extra: ",\"x\":\"" + String(repeating: "a", count: 1_000_000) + "\"")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .tokenTooLarge)
    }

    @Test("16 KiB of dots (at the limit) → malformed_token")
    func dotsAtLimit() throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(String(repeating: ".", count: VerificationPolicy.defaultMaximumTokenSize), .malformedToken)
    }
}
