import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

extension SigningKey {
    /// Imports a private JWK. It must carry `kid`, and `issuer` (the issuer it signs for),
    /// and its private members must match its public ones.
    public init(privateJWK json: some Collection<UInt8>) throws(KeyImportError) {
        let object: JSONObject
        do {
            object = try StrictJSONParser.parseObject(json)
        } catch {
            throw KeyImportError(.malformed, "the private JWK is not a valid JSON object: \(error)")
        }
        try self.init(privateJWKObject: object)
    }

    /// Imports a private JWK from a parsed object.
    public init(privateJWKObject object: JSONObject) throws(KeyImportError) {
        let publicPart = try JWK(jsonObject: object)
        let reader = JWKMemberReader(object: object)
        guard let issuer = publicPart.issuer else {
            throw KeyImportError(.issuerBinding, "a signing key must name the issuer it signs for ('issuer' member)")
        }
        guard let keyID = publicPart.keyID else { throw KeyImportError(.malformed, "a signing key needs a kid") }
        guard let d = try reader.optionalBytes("d") else {
            throw KeyImportError(.privateKeyMaterial, "the JWK has no private member 'd'")
        }
        let backing: Backing
        switch publicPart.publicKey {
        case .p256:
            guard let key = try? P256.Signing.PrivateKey(rawRepresentation: d) else { throw KeyImportError(.invalidKey, "d is not a valid P-256 scalar") }
            backing = .p256(key)
        case .p384:
            guard let key = try? P384.Signing.PrivateKey(rawRepresentation: d) else { throw KeyImportError(.invalidKey, "d is not a valid P-384 scalar") }
            backing = .p384(key)
        case .ed25519:
            guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: d) else { throw KeyImportError(.invalidKey, "d is not a valid Ed25519 seed") }
            backing = .ed25519(key)
        case .rsa:
            let n = try reader.requiredBytes("n"), e = try reader.requiredBytes("e")
            let p = try reader.requiredBytes("p"), q = try reader.requiredBytes("q")
            guard let key = try? _RSA.Signing.PrivateKey(n: n, e: e, d: d, p: p, q: q) else {
                throw KeyImportError(.invalidKey, "the RSA private members do not form a valid key")
            }
            let computed = try RSAPrivateComponents(key)
            for (name, expected) in [("dp", computed.dp), ("dq", computed.dq), ("qi", computed.qi)] {
                if let given = try reader.optionalBytes(name), Array(given.drop { $0 == 0 }) != expected {
                    throw KeyImportError(.invalidKey, "member '\(name)' does not match the key")
                }
            }
            backing = .rsa(key)
        }
        try self.init(backing: backing, keyID: keyID, algorithm: publicPart.algorithm, issuer: issuer)
        guard publicJWK.thumbprint == publicPart.thumbprint else {
            throw KeyImportError(.invalidKey, "the private key does not match the JWK's public members")
        }
    }

    /// The private JWK's JSON, copied into locked memory; the ordinary-memory copy it is written in
    /// first is wiped. What the key store seals, and what ``LockedSigningKey`` is made from.
    package func lockedPrivateJWK() -> LockedBytes {
        var json = JSONWriter().bytes(.object(exportPrivateJWK()))
        defer { json.withUnsafeMutableBytes { LockedBytes.wipe($0) } }
        return json.withUnsafeBytes { LockedBytes(copying: $0) }
    }

    /// The private JWK, for writing to a protected file.
    ///
    /// - Warning: This is the only way private key material leaves a `SigningKey`. Write it only to
    ///   storage with owner-only permissions, never to logs, output or error messages.
    public func exportPrivateJWK() -> JSONObject {
        var object = publicJWK.publicJSON
        switch backing {
        case .p256(let key): object["d"] = .string(Base64URL.encode(key.rawRepresentation))
        case .p384(let key): object["d"] = .string(Base64URL.encode(key.rawRepresentation))
        case .ed25519(let key): object["d"] = .string(Base64URL.encode(key.rawRepresentation))
        case .rsa(let key):
            guard let components = try? RSAPrivateComponents(key) else { return object }
            for (name, value) in [("d", components.d), ("p", components.p), ("q", components.q),
                                  ("dp", components.dp), ("dq", components.dq), ("qi", components.qi)] {
                object[name] = .string(Base64URL.encode(value))
            }
        }
        return object
    }
}

/// The private integers of an RSA key, read from its PKCS #1 DER form (RFC 8017 §A.1.2).
struct RSAPrivateComponents {
    let d: [UInt8], p: [UInt8], q: [UInt8], dp: [UInt8], dq: [UInt8], qi: [UInt8]

    init(_ key: _RSA.Signing.PrivateKey) throws(KeyImportError) {
        do {
            let root = try DER.parse(Array(key.derRepresentation))
            let integers: [[UInt8]] = try DER.sequence(root, identifier: .sequence) { nodes in
                var values: [[UInt8]] = []
                while let node = nodes.next() {
                    values.append(Array(try ArraySlice<UInt8>(derEncoded: node).drop { $0 == 0 }))
                }
                return values
            }
            guard integers.count >= 9 else { throw KeyImportError(.invalidKey, "unexpected RSA private key structure") }
            (d, p, q, dp, dq, qi) = (integers[3], integers[4], integers[5], integers[6], integers[7], integers[8])
        } catch let error as KeyImportError {
            throw error
        } catch {
            throw KeyImportError(.invalidKey, "the RSA private key could not be read")
        }
    }
}
