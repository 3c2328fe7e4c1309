/// Signature-level verification of a compact JWS (RFC 7515) under Keybound's algorithm, header
/// and key policy. The payload may be any bytes and no claim is checked; use ``TokenVerifier``
/// for tokens.
public struct JWSVerifier: Sendable {
    /// A JWS whose signature verified.
    public struct VerifiedJWS: Sendable {
        /// The protected header.
        public let header: JSONObject
        /// The payload bytes.
        public let payload: [UInt8]
        /// The algorithm.
        public let algorithm: JWSAlgorithm
        /// The `kid` of the key used, if known.
        public let keyID: String?
    }

    private enum Keys: Sendable {
        case single(JWK)
        case set(JWKSet)
    }

    private let keys: Keys
    /// Inputs larger than this are refused before parsing.
    public let maximumSize: Int

    /// Verifies with one key. A token's `kid` is optional, but if both have one they must match.
    public init(key: JWK, maximumSize: Int = VerificationPolicy.defaultMaximumTokenSize) {
        self.keys = .single(key)
        self.maximumSize = maximumSize
    }

    /// Verifies with a key set; the token's `kid` selects the key and is required.
    public init(keySet: JWKSet, maximumSize: Int = VerificationPolicy.defaultMaximumTokenSize) {
        self.keys = .set(keySet)
        self.maximumSize = maximumSize
    }

    /// Verifies `jws`, returning the verified parts or the rejection.
    public func verify(_ jws: String) -> Result<VerifiedJWS, TokenRejection> {
        var jws = jws
        return jws.withUTF8 { verify(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Verifies the bytes of a compact JWS.
    public func verify(bytes: UnsafeRawBufferPointer) -> Result<VerifiedJWS, TokenRejection> {
        let decoded: CompactJWS
        switch CompactJWS.decode(bytes, maximumSize: maximumSize) {
        case .success(let value): decoded = value
        case .failure(let rejection): return .failure(rejection)
        }
        let key: JWK
        switch keys {
        case .single(let only):
            if let tokenKeyID = decoded.keyID, let keyID = only.keyID, !tokenKeyID.isExactly(keyID) {
                return .failure(TokenRejection(.unknownKey, "the token names kid '\(tokenKeyID)' but the key is '\(keyID)'", keyID: tokenKeyID))
            }
            key = only
        case .set(let set):
            guard let keyID = decoded.keyID else {
                return .failure(TokenRejection(.missingKeyID, "the header has no kid, which a key set needs to select a key"))
            }
            if let unusable = set.unusableKeys.first(where: { $0.keyID.isExactly(keyID) }) {
                return .failure(TokenRejection(.keyNotUsable, "key '\(keyID)' was refused at import: \(unusable.error.reason)", keyID: keyID))
            }
            guard let found = set.keys.first(where: { $0.keyID?.isExactly(keyID) == true }) else {
                return .failure(TokenRejection(.unknownKey, "the key set has no key '\(keyID)'", keyID: keyID))
            }
            key = found
        }
        if let restriction = key.verificationRestriction {
            return .failure(TokenRejection(.keyNotUsable, restriction, keyID: decoded.keyID))
        }
        guard decoded.algorithm == key.algorithm else {
            return .failure(TokenRejection(.algorithmMismatch, "the header says \(decoded.algorithm.rawValue) but the key is bound to \(key.algorithm.rawValue)", keyID: decoded.keyID))
        }
        let signingInput = UnsafeRawBufferPointer(rebasing: bytes[0..<decoded.signingInputLength])
        guard key.publicKey.isValidSignature(decoded.signature, for: signingInput, algorithm: decoded.algorithm) else {
            return .failure(TokenRejection(.badSignature, "the signature does not verify", keyID: decoded.keyID))
        }
        return .success(VerifiedJWS(header: decoded.header, payload: decoded.payload, algorithm: decoded.algorithm, keyID: decoded.keyID ?? key.keyID))
    }
}
