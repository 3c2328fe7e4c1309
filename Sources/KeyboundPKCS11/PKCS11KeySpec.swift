import CKeyboundPKCS11
import Crypto
import Keybound

/// How each JWS algorithm maps onto PKCS#11: the key pair to generate, how to read its public
/// half back, and the signing mechanism.
///
/// | Algorithm | Key pair | Signing |
/// |---|---|---|
/// | ES256 / ES384 | `CKM_EC_KEY_PAIR_GEN` on P-256 / P-384 | `CKM_ECDSA` over the SHA-256 / SHA-384 digest (r ‖ s) |
/// | EdDSA | `CKM_EC_EDWARDS_KEY_PAIR_GEN` on Ed25519 | `CKM_EDDSA` |
/// | RS256 | `CKM_RSA_PKCS_KEY_PAIR_GEN`, 2048 bits, e = 65537 | `CKM_SHA256_RSA_PKCS` |
/// | PS256 | the same | `CKM_SHA256_RSA_PKCS_PSS`, SHA-256, MGF1-SHA-256, 32-byte salt |
enum PKCS11KeySpec {
    /// DER of the curve OIDs: prime256v1, secp384r1, id-Ed25519.
    static let p256Parameters: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    static let p384Parameters: [UInt8] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22]
    static let ed25519Parameters: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x70]

    /// The token object identifier (`CKA_ID`) of an issuer's key: SHA-256(issuer ‖ 0x00 ‖ kid), so
    /// that every node finds the same key, and no two issuers' keys share one even with one `kid`.
    static func objectID(issuer: String, keyID: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(issuer.utf8) + [0x00] + Array(keyID.utf8)))
    }

    /// The generation mechanism and the public template's algorithm-specific attributes.
    static func generation(_ algorithm: JWSAlgorithm) -> (mechanism: CK_MECHANISM_TYPE, keyType: CK_KEY_TYPE, publicTemplate: PKCS11Template) {
        var template = PKCS11Template()
        switch algorithm {
        case .es256:
            template.add(CK_ATTRIBUTE_TYPE(CKA_EC_PARAMS), bytes: p256Parameters)
            return (CK_MECHANISM_TYPE(CKM_EC_KEY_PAIR_GEN), CK_KEY_TYPE(CKK_EC), template)
        case .es384:
            template.add(CK_ATTRIBUTE_TYPE(CKA_EC_PARAMS), bytes: p384Parameters)
            return (CK_MECHANISM_TYPE(CKM_EC_KEY_PAIR_GEN), CK_KEY_TYPE(CKK_EC), template)
        case .edDSA:
            template.add(CK_ATTRIBUTE_TYPE(CKA_EC_PARAMS), bytes: ed25519Parameters)
            return (CK_MECHANISM_TYPE(CKM_EC_EDWARDS_KEY_PAIR_GEN), CK_KEY_TYPE(CKK_EC_EDWARDS), template)
        case .rs256, .ps256:
            template.add(CK_ATTRIBUTE_TYPE(CKA_MODULUS_BITS), ulong: 2048)
            template.add(CK_ATTRIBUTE_TYPE(CKA_PUBLIC_EXPONENT), bytes: [0x01, 0x00, 0x01])
            return (CK_MECHANISM_TYPE(CKM_RSA_PKCS_KEY_PAIR_GEN), CK_KEY_TYPE(CKK_RSA), template)
        }
    }

    /// The signing mechanism of `algorithm`: the one a key of it may use (`CKA_ALLOWED_MECHANISMS`).
    static func mechanism(_ algorithm: JWSAlgorithm) -> CK_MECHANISM_TYPE {
        switch algorithm {
        case .es256, .es384: CK_MECHANISM_TYPE(CKM_ECDSA)
        case .edDSA: CK_MECHANISM_TYPE(CKM_EDDSA)
        case .rs256: CK_MECHANISM_TYPE(CKM_SHA256_RSA_PKCS)
        case .ps256: CK_MECHANISM_TYPE(CKM_SHA256_RSA_PKCS_PSS)
        }
    }

    /// The mechanism, its parameter block and the bytes to hand to `C_Sign` for `signingInput`.
    static func signing(_ algorithm: JWSAlgorithm, _ signingInput: [UInt8]) -> (mechanism: CK_MECHANISM_TYPE, parameter: [UInt8], data: [UInt8]) {
        switch algorithm {
        case .es256: (mechanism(algorithm), [], Array(SHA256.hash(data: signingInput)))
        case .es384: (mechanism(algorithm), [], Array(SHA384.hash(data: signingInput)))
        case .edDSA, .rs256: (mechanism(algorithm), [], signingInput)
        case .ps256:
            (mechanism(algorithm),
             withUnsafeBytes(of: CK_RSA_PKCS_PSS_PARAMS(hashAlg: CK_MECHANISM_TYPE(CKM_SHA256), mgf: CK_RSA_PKCS_MGF_TYPE(CKG_MGF1_SHA256), sLen: 32)) { Array($0) },
             signingInput)
        }
    }

    /// The public JWK members of a token's public key object, read through `read`, for `algorithm`.
    static func publicMembers(_ algorithm: JWSAlgorithm, read: (CK_ATTRIBUTE_TYPE) throws(PKCS11CallError) -> [UInt8]) throws(PKCS11Error) -> JSONObject {
        do {
            switch algorithm {
            case .es256, .es384:
                let size = algorithm == .es256 ? 32 : 48
                let point = try unwrapOctetString(try read(CK_ATTRIBUTE_TYPE(CKA_EC_POINT)), rawLength: 2 * size + 1)
                guard point.count == 2 * size + 1, point[0] == 0x04 else {
                    throw PKCS11Error(.unsupported, "the token's EC point is not an uncompressed \(algorithm.rawValue) point")
                }
                return JSONObject(["kty": .string("EC"), "crv": .string(size == 32 ? "P-256" : "P-384"),
                                   "x": .string(Base64URL.encode(point[1...size])), "y": .string(Base64URL.encode(point[(size + 1)...]))])
            case .edDSA:
                let point = try unwrapOctetString(try read(CK_ATTRIBUTE_TYPE(CKA_EC_POINT)), rawLength: 32)
                guard point.count == 32 else { throw PKCS11Error(.unsupported, "the token's Ed25519 point is not 32 bytes") }
                return JSONObject(["kty": .string("OKP"), "crv": .string("Ed25519"), "x": .string(Base64URL.encode(point))])
            case .rs256, .ps256:
                let modulus = try read(CK_ATTRIBUTE_TYPE(CKA_MODULUS)).drop { $0 == 0 }
                let exponent = try read(CK_ATTRIBUTE_TYPE(CKA_PUBLIC_EXPONENT)).drop { $0 == 0 }
                return JSONObject(["kty": .string("RSA"), "n": .string(Base64URL.encode(modulus)), "e": .string(Base64URL.encode(exponent))])
            }
        } catch let error as PKCS11CallError {
            throw PKCS11Error(.failed, "cannot read the public key: \(error.description)")
        } catch let error as PKCS11Error {
            throw error
        } catch {
            throw PKCS11Error(.failed, "cannot read the public key")
        }
    }

    /// `CKA_EC_POINT` is a DER OCTET STRING by the standard; some tokens give the raw point. A
    /// value of exactly `rawLength` bytes is taken as raw.
    private static func unwrapOctetString(_ value: [UInt8], rawLength: Int) throws(PKCS11Error) -> [UInt8] {
        if value.count == rawLength { return value }
        guard value.count == rawLength + 2, value[0] == 0x04, Int(value[1]) == rawLength else {
            throw PKCS11Error(.unsupported, "the token's EC point is neither raw nor a short DER OCTET STRING")
        }
        return Array(value.dropFirst(2))
    }
}
