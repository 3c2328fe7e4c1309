/// A signing key as the code that mints tokens sees it: its name, its algorithm, its issuer and
/// its public half, but not its private half.
///
/// The private half stays with a ``SigningCustodian``: in this process's memory for a
/// ``SigningKey`` (software custody), or inside a hardware or software token for a PKCS#11
/// custodian. A handle is all a ``TokenSigner`` needs to write a token's header and ask its
/// custodian for the signature.
public struct SigningKeyHandle: Sendable, Hashable, CustomStringConvertible {
    /// The `kid` tokens signed with this key carry.
    public let keyID: String
    /// The algorithm this key signs with.
    public let algorithm: JWSAlgorithm
    /// The issuer this key belongs to. It signs no token whose `iss` differs.
    public let issuer: String
    /// The public half, with `kid`, `alg`, `use: sig` and the per-key `issuer`.
    public let publicJWK: JWK

    /// The handle of the key whose public half is `publicKey`. The `kid` defaults to the RFC 7638
    /// thumbprint of the public key.
    ///
    /// Throws ``KeyImportError`` when `algorithm` does not fit the key type.
    public init(publicKey: JWSPublicKey, keyID: String?, algorithm: JWSAlgorithm, issuer: String) throws(KeyImportError) {
        guard publicKey.compatibleAlgorithms.contains(algorithm) else {
            throw KeyImportError(.invalidKey, "alg \(algorithm.rawValue) does not fit this key type")
        }
        var members = SigningKey.publicMembers(of: publicKey)
        let resolvedKeyID = keyID ?? JWK.thumbprint(of: members)
        members += [("kid", .string(resolvedKeyID)), ("alg", .string(algorithm.rawValue)), ("use", .string("sig")), ("issuer", .string(issuer))]
        var object = JSONObject()
        for (name, value) in members { object[name] = value }
        self.keyID = resolvedKeyID
        self.algorithm = algorithm
        self.issuer = issuer
        self.publicJWK = try JWK(jsonObject: object)
    }

    /// Names the key only: `kid`, algorithm and issuer.
    public var description: String { "SigningKeyHandle(kid: \(keyID), alg: \(algorithm.rawValue), issuer: \(issuer))" }

    /// Handles are equal when they name the same key of the same issuer, by exact bytes.
    public static func == (lhs: SigningKeyHandle, rhs: SigningKeyHandle) -> Bool {
        lhs.keyID.isExactly(rhs.keyID) && lhs.issuer.isExactly(rhs.issuer) && lhs.algorithm == rhs.algorithm
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(keyID.utf8))
        hasher.combine(Array(issuer.utf8))
        hasher.combine(algorithm)
    }
}
