import Crypto
import Foundation
import _CryptoExtras

/// Why a token could not be signed.
public struct SigningError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line for humans.
    public let description: String
    /// Whether the key's custodian could not sign for now (its token is absent or not answering):
    /// the request may succeed later, so a server answers 503 rather than 500.
    public let isUnavailable: Bool

    /// An error saying `description`; `unavailable` when the custodian cannot sign for now.
    public init(_ description: String, unavailable: Bool = false) {
        self.description = description
        self.isUnavailable = unavailable
    }
}

/// Signs claims as a compact JWS with one issuer's key.
///
/// It refuses claims whose `iss` is missing or differs from the key's issuer: a key signs only for
/// the issuer it belongs to. The signature comes from the key's ``SigningCustodian``; a signer made
/// from a ``SigningKey`` (software custody) can also sign synchronously.
public struct TokenSigner: Sendable {
    /// The key used: its `kid`, algorithm, issuer and public half.
    public let key: SigningKeyHandle
    private let custody: Custody
    /// The encoded header for the default type, computed once.
    private let accessTokenHeader: [UInt8]

    private enum Custody: Sendable {
        case software(SigningKey)
        case custodian(any SigningCustodian)
    }

    /// A signer for `key`, held in this process (software custody).
    public init(key: SigningKey) {
        self.init(handle: key.handle, custody: .software(key))
    }

    /// A signer for the key `key` names, held by `custodian`. Only the asynchronous
    /// ``signedByCustodian(claims:type:)`` can sign with it.
    public init(key: SigningKeyHandle, custodian: any SigningCustodian) {
        self.init(handle: key, custody: .custodian(custodian))
    }

    private init(handle: SigningKeyHandle, custody: Custody) {
        self.key = handle
        self.custody = custody
        self.accessTokenHeader = Self.encodedHeader(key: handle, type: ExpectedTokenType.accessToken.rawValue)
    }

    private static func encodedHeader(key: SigningKeyHandle, type: String) -> [UInt8] {
        let header = JSONObject(["alg": .string(key.algorithm.rawValue), "kid": .string(key.keyID), "typ": .string(type)])
        return Base64URL.encodedBytes(JSONWriter().bytes(.object(header)))
    }

    /// Signs exactly `claims`, with a header of `alg`, `kid` and `typ`.
    public func sign(claims: JSONObject, type: String = ExpectedTokenType.accessToken.rawValue) throws(SigningError) -> String {
        try signed(claims: claims, type: type).token
    }

    /// A compact JWS and the exact payload bytes it signs (what an issuance ledger digests).
    public struct SignedToken: Sendable {
        /// The compact serialization.
        public let token: String
        /// The JWS payload: the claims' JSON bytes, exactly as signed.
        public let payload: [UInt8]
    }

    /// Signs exactly `claims` like ``sign(claims:type:)`` and also returns the signed payload bytes.
    ///
    /// Synchronous, so for software custody only: a signer of a key held by another custodian
    /// throws here; use ``signedByCustodian(claims:type:)``.
    public func signed(claims: JSONObject, type: String = ExpectedTokenType.accessToken.rawValue) throws(SigningError) -> SignedToken {
        let signingKey = try softwareKey()
        let header = try encodedHeader(checking: claims, type: type)
        let payload = JSONWriter().bytes(.object(claims))
        let token = try compactToken(encodedHeader: header, payload: payload) { signingInput in
            Result { () throws(SigningError) in try signingKey.signatureData(for: signingInput) }
        }
        return SignedToken(token: token, payload: payload)
    }

    /// Signs exactly `claims` like ``signed(claims:type:)``, asking the key's custodian for the
    /// signature: the one way to sign that works for every custody.
    public func signedByCustodian(claims: JSONObject, type: String = ExpectedTokenType.accessToken.rawValue) async throws(SigningError) -> SignedToken {
        let header = try encodedHeader(checking: claims, type: type)
        let payload = JSONWriter().bytes(.object(claims))
        let signingInput = Self.signingInput(encodedHeader: header, payload: payload)
        return SignedToken(token: try finish(signingInput, signature: try await custodySignature(for: signingInput)), payload: payload)
    }

    /// Signs an arbitrary header and payload, with none of the checks of ``sign(claims:type:)``.
    ///
    /// For Keybound's own tests and its testing product only (package access): they build hostile
    /// tokens with it, such as a token claiming another issuer than its key's. Not SPI: no program
    /// outside this package can opt into skipping the issuer check.
    package func sign(header: JSONObject, payload: [UInt8]) throws(SigningError) -> String {
        let signingKey = try softwareKey()
        let signingInput = Self.signingInput(header: header, payload: payload)
        return try finish(signingInput, signature: try signingKey.signature(for: signingInput))
    }

    /// Signs an arbitrary header and payload through the key's custodian, with none of the checks of
    /// ``sign(claims:type:)``: what someone in control of a provider whose key is in a token can
    /// make it sign. Package access, for the drill's attacker and Keybound's own tests.
    package func signedByCustodian(header: JSONObject, payload: [UInt8]) async throws(SigningError) -> String {
        let signingInput = Self.signingInput(header: header, payload: payload)
        return try finish(signingInput, signature: try await custodySignature(for: signingInput))
    }

    /// The key itself, for the synchronous paths: software custody only.
    private func softwareKey() throws(SigningError) -> SigningKey {
        guard case .software(let signingKey) = custody else {
            throw SigningError("key '\(key.keyID)' is held by a custodian that signs asynchronously")
        }
        return signingKey
    }

    /// The signature of `signingInput`, from the key itself or from its custodian.
    private func custodySignature(for signingInput: [UInt8]) async throws(SigningError) -> [UInt8] {
        switch custody {
        case .software(let signingKey): try signingKey.signature(for: signingInput)
        case .custodian(let custodian): try await custodian.signature(for: signingInput, with: key)
        }
    }

    /// The encoded header for tokens of `type`, after the issuer check of `claims`.
    private func encodedHeader(checking claims: JSONObject, type: String) throws(SigningError) -> [UInt8] {
        guard case .string(let issuer)? = claims["iss"] else {
            throw SigningError("the claims have no 'iss' string; a key signs only for its own issuer")
        }
        guard issuer.isExactly(key.issuer) else {
            throw SigningError("key '\(key.keyID)' belongs to issuer '\(key.issuer)' and will not sign for '\(issuer)'")
        }
        return type.isExactly(ExpectedTokenType.accessToken.rawValue) ? accessTokenHeader : Self.encodedHeader(key: key, type: type)
    }

    /// The compact token, written once into the string's own storage: the header, `.`, the
    /// payload in base64url, then `sign`'s signature of those bytes (read in place) after a `.`.
    private func compactToken(
        encodedHeader: [UInt8], payload: [UInt8], sign: (UnsafeRawBufferPointer) -> Result<Data, SigningError>
    ) throws(SigningError) -> String {
        let signingInputLength = encodedHeader.count + 1 + Base64URL.encodedLength(of: payload.count)
        let capacity = signingInputLength + 1 + Base64URL.encodedLength(of: signatureLength)
        var failure: SigningError?
        let token = String(unsafeUninitializedCapacity: capacity) { buffer in
            let output = UnsafeMutableRawBufferPointer(buffer)
            var position = encodedHeader.withUnsafeBytes { header in
                output.copyMemory(from: header)
                return header.count
            }
            output[position] = UInt8(ascii: ".")
            position += 1
            position += payload.withUnsafeBytes { Base64URL.encode($0, into: UnsafeMutableRawBufferPointer(rebasing: output[position...])) }
            switch sign(UnsafeRawBufferPointer(rebasing: output[..<position])) {
            case .failure(let error):
                failure = error
                return 0
            case .success(let signature):
                if let wrongLength = wrongLength(signature.count) {
                    failure = wrongLength
                    return 0
                }
                output[position] = UInt8(ascii: ".")
                position += 1
                position += signature.withUnsafeBytes { Base64URL.encode($0, into: UnsafeMutableRawBufferPointer(rebasing: output[position...])) }
                return position
            }
        }
        if let failure { throw failure }
        return token
    }

    /// The signing input of an arbitrary `header` and `payload`.
    private static func signingInput(header: JSONObject, payload: [UInt8]) -> [UInt8] {
        signingInput(encodedHeader: Base64URL.encodedBytes(JSONWriter().bytes(.object(header))), payload: payload)
    }

    /// `header.payload`, written once into an array of exactly its length.
    private static func signingInput(encodedHeader: [UInt8], payload: [UInt8]) -> [UInt8] {
        let count = encodedHeader.count + 1 + Base64URL.encodedLength(of: payload.count)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            encodedHeader.withUnsafeBytes { output.copyMemory(from: $0) }
            output[encodedHeader.count] = UInt8(ascii: ".")
            initialized = encodedHeader.count + 1
                + payload.withUnsafeBytes { Base64URL.encode($0, into: UnsafeMutableRawBufferPointer(rebasing: output[(encodedHeader.count + 1)...])) }
        }
    }

    /// The compact token of `signingInput` and a custodian's `signature`, written once into the
    /// string's storage. A signature of another length than the key's is refused, not written.
    private func finish(_ signingInput: [UInt8], signature: [UInt8]) throws(SigningError) -> String {
        if let wrongLength = wrongLength(signature.count) { throw wrongLength }
        let capacity = signingInput.count + 1 + Base64URL.encodedLength(of: signature.count)
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            let output = UnsafeMutableRawBufferPointer(buffer)
            signingInput.withUnsafeBytes { output.copyMemory(from: $0) }
            output[signingInput.count] = UInt8(ascii: ".")
            let start = signingInput.count + 1
            return start + signature.withUnsafeBytes { Base64URL.encode($0, into: UnsafeMutableRawBufferPointer(rebasing: output[start...])) }
        }
    }

    /// The length of this key's raw signatures.
    private var signatureLength: Int { key.publicJWK.publicKey.signatureLength }

    /// The refusal of a signature `count` bytes long, or `nil` when that is this key's length:
    /// a signature of another length is never written into a token.
    private func wrongLength(_ count: Int) -> SigningError? {
        count == signatureLength ? nil : SigningError("the signature has \(count) bytes where key '\(key.keyID)' makes \(signatureLength)")
    }
}

extension SigningKey {
    /// The raw JWS signature of `signingInput` under this key.
    func signature(for signingInput: [UInt8]) throws(SigningError) -> [UInt8] {
        try Self.signature(of: backing, algorithm: algorithm, for: signingInput)
    }

    /// The raw JWS signature of `signingInput` under this key, as swift-crypto returns it.
    func signatureData(for signingInput: UnsafeRawBufferPointer) throws(SigningError) -> Data {
        try Self.signatureData(of: backing, algorithm: algorithm, for: signingInput)
    }

    /// The raw JWS signature of `signingInput` under the key `backing`, for `algorithm`.
    static func signature(of backing: Backing, algorithm: JWSAlgorithm, for signingInput: [UInt8]) throws(SigningError) -> [UInt8] {
        Array(try signatureData(of: backing, algorithm: algorithm, for: signingInput))
    }

    /// The raw JWS signature of `signingInput` under the key `backing`, for `algorithm`, as
    /// swift-crypto returns it.
    static func signatureData(of backing: Backing, algorithm: JWSAlgorithm, for signingInput: some DataProtocol) throws(SigningError) -> Data {
        do {
            switch backing {
            case .p256(let privateKey): return try privateKey.signature(for: signingInput).rawRepresentation
            case .p384(let privateKey): return try privateKey.signature(for: signingInput).rawRepresentation
            case .ed25519(let privateKey): return try privateKey.signature(for: signingInput)
            case .rsa(let privateKey):
                let padding: _RSA.Signing.Padding = algorithm == .ps256 ? .PSS : .insecurePKCS1v1_5
                return try privateKey.signature(for: SHA256.hash(data: signingInput), padding: padding).rawRepresentation
            }
        } catch {
            throw SigningError("the signature could not be computed")
        }
    }
}
