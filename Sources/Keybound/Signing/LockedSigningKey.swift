import Crypto
import Foundation
import _CryptoExtras

/// Software custody: a private key whose bytes live only in ``LockedBytes`` (locked, left out of
/// core dumps, wiped on release).
///
/// It signs on the ``SecretWorkers`` threads: for each signature it builds a swift-crypto key from
/// the locked bytes, signs, and releases the key at once. BoringSSL zeroes what it frees, and in
/// Keybound's executable its allocations live in dump-excluded memory (`CKeyboundProcess`); the
/// worker threads' stacks are excluded from dumps too, and in that executable everything the
/// workers allocate (an Ed25519 key's `SecureBytes`, for one) comes from the same memory.
package final class LockedSigningKey: SigningCustodian {
    /// The key's `kid`, algorithm, issuer and public half.
    package let handle: SigningKeyHandle
    private let material: LockedBytes
    private let layout: Layout

    /// Where each private member sits in `material`.
    private enum Layout: Sendable {
        /// The scalar (EC) or seed (Ed25519): the first `length` bytes of `material`.
        case whole(length: Int)
        /// An RSA key's n, e, d, p and q, one after another.
        case rsa(n: Range<Int>, e: Range<Int>, d: Range<Int>, p: Range<Int>, q: Range<Int>)
    }

    /// The key in the private JWK `json` (as the key store seals it), for the key `handle` names.
    /// Its private members are decoded straight into locked memory; the key is built once to check
    /// that it matches `handle`'s public half. `json` itself is the caller's to wipe.
    package init(privateJWK json: UnsafeRawBufferPointer, handle: SigningKeyHandle) throws(KeyImportError) {
        let names: [String]
        switch handle.publicJWK.publicKey {
        case .p256, .p384, .ed25519: names = ["d"]
        case .rsa: names = ["n", "e", "d", "p", "q"]
        }
        var encoded: [Range<Int>] = []
        for name in names {
            guard let range = PrivateJWKScanner.stringValue(of: name, in: json) else {
                throw KeyImportError(.privateKeyMaterial, "the sealed JWK has no member '\(name)'")
            }
            encoded.append(range)
        }
        let material = LockedBytes(count: encoded.reduce(0) { $0 + $1.count * 3 / 4 + 3 })
        var decoded: [Range<Int>] = []
        var cursor = 0
        for range in encoded {
            let written = material.withUnsafeMutableBytes { output in
                SecretBase64.decode(UnsafeRawBufferPointer(rebasing: json[range]), alphabet: .url,
                                    into: UnsafeMutableRawBufferPointer(rebasing: output[cursor...]))
            }
            guard let written, written > 0 else { throw KeyImportError(.malformed, "a private member of the sealed JWK is not base64url") }
            decoded.append(cursor..<(cursor + written))
            cursor += written
        }
        self.handle = handle
        self.material = material
        self.layout = decoded.count == 5 ? .rsa(n: decoded[0], e: decoded[1], d: decoded[2], p: decoded[3], q: decoded[4])
                                         : .whole(length: decoded[0].count)
        let built: SigningKeyHandle
        do {
            built = try withBacking { backing throws(KeyImportError) in
                try SigningKeyHandle(publicKey: SigningKey.publicKey(of: backing), keyID: handle.keyID, algorithm: handle.algorithm, issuer: handle.issuer)
            }
        } catch {
            throw KeyImportError(.invalidKey, "the sealed private members of key '\(handle.keyID)' do not form a valid key")
        }
        guard built.publicJWK.thumbprint == handle.publicJWK.thumbprint else {
            throw KeyImportError(.invalidKey, "the sealed private key does not match key '\(handle.keyID)''s public half")
        }
    }

    /// A locked copy of `key`, made from its private JWK (``SigningKey/lockedPrivateJWK()``).
    package static func copying(_ key: SigningKey) throws(KeyImportError) -> LockedSigningKey {
        try key.lockedPrivateJWK().withUnsafeBytes { json throws(KeyImportError) in try LockedSigningKey(privateJWK: json, handle: key.handle) }
    }

    package func signature(for signingInput: [UInt8], with key: SigningKeyHandle) async throws(SigningError) -> [UInt8] {
        guard key == handle else { throw SigningError("this custodian holds no key '\(key.keyID)' of issuer '\(key.issuer)'") }
        return try await SecretWorkers.shared.run { () throws(SigningError) -> [UInt8] in try self.signatureNow(for: signingInput) }
    }

    /// Signs on the calling thread: for the workers, and for benchmarks that measure the cost of
    /// building the key for each signature.
    package func signatureNow(for signingInput: [UInt8]) throws(SigningError) -> [UInt8] {
        let algorithm = handle.algorithm
        do {
            return try withBacking { backing throws(SigningError) in
                try SigningKey.signature(of: backing, algorithm: algorithm, for: signingInput)
            }
        } catch let error as SigningError {
            throw error
        } catch {
            throw SigningError("key '\(handle.keyID)' could not be rebuilt from its locked bytes")
        }
    }

    /// Builds the swift-crypto key from the locked bytes, hands it to `body`, and lets it go.
    private func withBacking<R, E: Error>(_ body: (SigningKey.Backing) throws(E) -> R) throws -> R {
        let backing: SigningKey.Backing = try material.withUnsafeBytes { bytes in
            switch (handle.publicJWK.publicKey, layout) {
            case (.p256, .whole(let length)): return .p256(try P256.Signing.PrivateKey(rawRepresentation: bytes[..<length].rebased))
            case (.p384, .whole(let length)): return .p384(try P384.Signing.PrivateKey(rawRepresentation: bytes[..<length].rebased))
            case (.ed25519, .whole(let length)): return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: bytes[..<length].rebased))
            case (.rsa, .rsa(let n, let e, let d, let p, let q)):
                return .rsa(try _RSA.Signing.PrivateKey(n: bytes[n].rebased, e: bytes[e].rebased, d: bytes[d].rebased,
                                                        p: bytes[p].rebased, q: bytes[q].rebased))
            default: throw KeyImportError(.invalidKey, "the locked bytes do not fit the key type")
            }
        }
        return try body(backing)
    }
}

private extension Slice where Base == UnsafeRawBufferPointer {
    var rebased: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: self) }
}
