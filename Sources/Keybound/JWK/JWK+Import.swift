import Crypto
import Foundation
import X509
import _CryptoExtras

extension JWK {
    /// Members that only private keys carry.
    static let privateMemberNames: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// Imports a JWK from its JSON text.
    public init(json: some Collection<UInt8>) throws(KeyImportError) {
        let object: JSONObject
        do {
            object = try StrictJSONParser.parseObject(json)
        } catch {
            throw KeyImportError(.malformed, "the JWK is not a valid JSON object: \(error)")
        }
        try self.init(jsonObject: object)
    }

    /// Imports a JWK from a parsed JSON object, refusing weak, invalid and unsupported keys.
    public init(jsonObject object: JSONObject) throws(KeyImportError) {
        let reader = JWKMemberReader(object: object)
        let kty = try reader.requiredString("kty")
        let declaredAlgorithm = try reader.optionalString("alg")
        let keyID = try reader.optionalString("kid")
        if keyID == "" { throw KeyImportError(.malformed, "kid is empty") }

        let publicKey: JWSPublicKey
        var publicMembers: [(String, JSONValue)]
        if kty.isExactly("oct") {
            throw KeyImportError(.symmetricKey, "symmetric (oct) keys are never trusted")
        }
        guard let keyType = KeyType.allCases.first(where: { $0.rawValue.isExactly(kty) }) else {
            throw KeyImportError(.unsupportedKeyType, "key type '\(kty)' is not supported")
        }
        switch keyType {
        case .ec:
            (publicKey, publicMembers) = try Self.importEC(reader)
        case .okp:
            (publicKey, publicMembers) = try Self.importOKP(reader)
        case .rsa:
            (publicKey, publicMembers) = try Self.importRSA(reader)
        }

        let algorithm: JWSAlgorithm
        if let declaredAlgorithm {
            guard let named = JWSAlgorithm(headerValue: declaredAlgorithm) else {
                throw KeyImportError(.unsupportedAlgorithm, "alg '\(declaredAlgorithm)' is not one of ES256, ES384, EdDSA, RS256, PS256")
            }
            guard publicKey.compatibleAlgorithms.contains(named) else {
                throw KeyImportError(.invalidKey, "alg \(named.rawValue) does not fit a \(kty) key of this curve or size")
            }
            algorithm = named
        } else {
            algorithm = publicKey.defaultAlgorithm
        }

        let use = try reader.optionalString("use")
        let keyOperations = try reader.optionalStringArray("key_ops")
        if let keyOperations, Set(keyOperations.map(ExactString.init)).count != keyOperations.count {
            throw KeyImportError(.malformed, "key_ops lists a value twice")
        }
        let issuer = try reader.optionalString("issuer")
        let certificateValidity = try Self.importCertificateChain(reader, publicKey: publicKey)

        var restriction: String? = nil
        if let use, !use.isExactly("sig") {
            restriction = "the key's use is '\(use)', not 'sig'"
        } else if let keyOperations, !keyOperations.contains(where: { $0.isExactly("verify") }) {
            restriction = "the key's key_ops \(keyOperations) do not include 'verify'"
        }

        let thumbprint = Self.thumbprint(of: publicMembers)
        for name in ["kid", "alg", "use", "key_ops", "x5c", "x5t", "x5t#S256", "issuer"] {
            if let value = object[name] { publicMembers.append((name, value)) }
        }
        var publicJSON = JSONObject()
        for (name, value) in publicMembers { publicJSON[name] = value }

        self.init(
            keyType: keyType, keyID: keyID, algorithm: algorithm, algorithmIsDeclared: declaredAlgorithm != nil,
            use: use, keyOperations: keyOperations, issuer: issuer, certificateValidity: certificateValidity,
            publicKey: publicKey, thumbprint: thumbprint, verificationRestriction: restriction,
            containedPrivateKeyMembers: object.names.contains(where: Self.privateMemberNames.contains),
            publicJSON: publicJSON
        )
    }

    private static func importEC(_ reader: JWKMemberReader) throws(KeyImportError) -> (JWSPublicKey, [(String, JSONValue)]) {
        let curve = try reader.requiredString("crv")
        let coordinateSize: Int
        if curve.isExactly("P-256") {
            coordinateSize = 32
        } else if curve.isExactly("P-384") {
            coordinateSize = 48
        } else {
            throw KeyImportError(.unsupportedKeyType, "EC curve '\(curve)' is not supported (P-256 and P-384 are)")
        }
        let x = try reader.requiredBytes("x")
        let y = try reader.requiredBytes("y")
        guard x.count == coordinateSize, y.count == coordinateSize else {
            throw KeyImportError(.invalidKey, "\(curve) coordinates must be \(coordinateSize) bytes each")
        }
        let uncompressed = [0x04] + x + y
        let key: JWSPublicKey
        do {
            key = coordinateSize == 32
                ? .p256(try P256.Signing.PublicKey(x963Representation: uncompressed))
                : .p384(try P384.Signing.PublicKey(x963Representation: uncompressed))
        } catch {
            throw KeyImportError(.invalidKey, "the point is not on \(curve)")
        }
        return (key, [("crv", .string(curve)), ("kty", .string("EC")), ("x", .string(Base64URL.encode(x))), ("y", .string(Base64URL.encode(y)))])
    }

    private static func importOKP(_ reader: JWKMemberReader) throws(KeyImportError) -> (JWSPublicKey, [(String, JSONValue)]) {
        let curve = try reader.requiredString("crv")
        guard curve.isExactly("Ed25519") else {
            throw KeyImportError(.unsupportedKeyType, "OKP curve '\(curve)' is not supported (Ed25519 is)")
        }
        let x = try reader.requiredBytes("x")
        if let refusal = Ed25519PublicKeyCheck.refusal(for: x) {
            throw KeyImportError(x.count == 32 && Ed25519PublicKeyCheck.hasSmallOrder(x) ? .weakKey : .invalidKey, refusal)
        }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
            throw KeyImportError(.invalidKey, "not a valid Ed25519 public key")
        }
        return (.ed25519(key), [("crv", .string(curve)), ("kty", .string("OKP")), ("x", .string(Base64URL.encode(x)))])
    }

    /// The largest RSA modulus accepted, to bound verification cost.
    static let maximumRSAModulusBits = 16384

    private static func importRSA(_ reader: JWKMemberReader) throws(KeyImportError) -> (JWSPublicKey, [(String, JSONValue)]) {
        let modulus = Array(try reader.requiredBytes("n").drop(while: { $0 == 0 }))
        let exponent = Array(try reader.requiredBytes("e").drop(while: { $0 == 0 }))
        guard exponent == [0x01, 0x00, 0x01] else {
            throw KeyImportError(.weakKey, "RSA public exponent must be 65537")
        }
        let bits = modulus.isEmpty ? 0 : modulus.count * 8 - modulus[0].leadingZeroBitCount
        guard bits >= 2048 else { throw KeyImportError(.weakKey, "RSA modulus of \(bits) bits is below 2048") }
        guard bits <= maximumRSAModulusBits else {
            throw KeyImportError(.invalidKey, "RSA modulus of \(bits) bits is above \(maximumRSAModulusBits)")
        }
        guard modulus.last! & 1 == 1 else { throw KeyImportError(.invalidKey, "RSA modulus is even") }
        guard let key = try? _RSA.Signing.PublicKey(n: modulus, e: exponent) else {
            throw KeyImportError(.invalidKey, "not a valid RSA public key")
        }
        return (.rsa(key), [("e", .string(Base64URL.encode(exponent))), ("kty", .string("RSA")), ("n", .string(Base64URL.encode(modulus)))])
    }

    /// RFC 7638: SHA-256 over the required members in lexicographic order, without white space.
    static func thumbprint(of requiredMembers: [(String, JSONValue)]) -> String {
        var object = JSONObject()
        for (name, value) in requiredMembers { object[name] = value }
        let canonical = JSONWriter(sortsKeys: true).bytes(.object(object))
        return Base64URL.encode(SHA256.hash(data: canonical))
    }

    private static func importCertificateChain(_ reader: JWKMemberReader, publicKey: JWSPublicKey) throws(KeyImportError) -> CertificateValidity? {
        guard let chain = try reader.optionalStringArray("x5c") else {
            return nil
        }
        guard let first = chain.first, let der = Data(base64Encoded: first) else {
            throw KeyImportError(.malformed, "x5c must hold standard-base64 DER certificates")
        }
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: Array(der))
        } catch {
            throw KeyImportError(.invalidKey, "x5c[0] is not a valid X.509 certificate")
        }
        guard certificate.publicKey == Certificate.PublicKey(publicKey) else {
            throw KeyImportError(.invalidKey, "x5c[0] certifies a different public key than the JWK's")
        }
        if let x5t = try reader.optionalString("x5t"), !x5t.isExactly(Base64URL.encode(Insecure.SHA1.hash(data: der))) {
            throw KeyImportError(.invalidKey, "x5t is not the SHA-1 thumbprint of x5c[0]")
        }
        if let x5tS256 = try reader.optionalString("x5t#S256"), !x5tS256.isExactly(Base64URL.encode(SHA256.hash(data: der))) {
            throw KeyImportError(.invalidKey, "x5t#S256 is not the SHA-256 thumbprint of x5c[0]")
        }
        return CertificateValidity(
            notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter,
            subject: String(describing: certificate.subject)
        )
    }
}

extension Certificate.PublicKey {
    init(_ key: JWSPublicKey) {
        switch key {
        case .p256(let key): self.init(key)
        case .p384(let key): self.init(key)
        case .ed25519(let key): self.init(key)
        case .rsa(let key): self.init(key)
        }
    }
}

/// Typed access to a JWK's members with import errors that name the member.
struct JWKMemberReader {
    let object: JSONObject

    func requiredString(_ name: String) throws(KeyImportError) -> String {
        guard let value = try optionalString(name) else { throw KeyImportError(.malformed, "member '\(name)' is missing") }
        return value
    }

    func optionalString(_ name: String) throws(KeyImportError) -> String? {
        guard let value = object[name] else { return nil }
        guard case .string(let string) = value else {
            throw KeyImportError(.malformed, "member '\(name)' must be a string, not \(value.typeName)")
        }
        return string
    }

    func optionalStringArray(_ name: String) throws(KeyImportError) -> [String]? {
        guard let value = object[name] else { return nil }
        guard case .array(let elements) = value else {
            throw KeyImportError(.malformed, "member '\(name)' must be an array of strings")
        }
        var strings: [String] = []
        for element in elements {
            guard case .string(let string) = element else {
                throw KeyImportError(.malformed, "member '\(name)' must be an array of strings")
            }
            strings.append(string)
        }
        return strings
    }

    func requiredBytes(_ name: String) throws(KeyImportError) -> [UInt8] {
        guard let bytes = try optionalBytes(name) else { throw KeyImportError(.malformed, "member '\(name)' is missing") }
        return bytes
    }

    func optionalBytes(_ name: String) throws(KeyImportError) -> [UInt8]? {
        guard let string = try optionalString(name) else { return nil }
        guard let bytes = Base64URL.decode(string) else {
            throw KeyImportError(.malformed, "member '\(name)' is not canonical unpadded base64url")
        }
        return bytes
    }
}
