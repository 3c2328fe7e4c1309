import Crypto
import Foundation
import _CryptoExtras

/// Why a token could not be signed.
public struct SigningError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line for humans.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Signs claims as a compact JWS with one issuer's key.
///
/// It refuses claims whose `iss` is missing or differs from the key's issuer: a key signs only for
/// the issuer it belongs to.
public struct TokenSigner: Sendable {
    /// The key used.
    public let key: SigningKey
    /// The encoded header for the default type, computed once.
    private let accessTokenHeader: [UInt8]

    /// A signer for `key`.
    public init(key: SigningKey) {
        self.key = key
        self.accessTokenHeader = Self.encodedHeader(key: key, type: ExpectedTokenType.accessToken.rawValue)
    }

    private static func encodedHeader(key: SigningKey, type: String) -> [UInt8] {
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
    public func signed(claims: JSONObject, type: String = ExpectedTokenType.accessToken.rawValue) throws(SigningError) -> SignedToken {
        guard case .string(let issuer)? = claims["iss"] else {
            throw SigningError("the claims have no 'iss' string; a key signs only for its own issuer")
        }
        guard issuer.isExactly(key.issuer) else {
            throw SigningError("key '\(key.keyID)' belongs to issuer '\(key.issuer)' and will not sign for '\(issuer)'")
        }
        let header = type.isExactly(ExpectedTokenType.accessToken.rawValue) ? accessTokenHeader : Self.encodedHeader(key: key, type: type)
        let payload = JSONWriter().bytes(.object(claims))
        return SignedToken(token: try sign(encodedHeader: header, payload: payload), payload: payload)
    }

    /// Signs an arbitrary header and payload, with none of the checks of ``sign(claims:type:)``.
    ///
    /// For Keybound's own tests and its testing product only (package access): they build hostile
    /// tokens with it, such as a token claiming another issuer than its key's. Not SPI: no program
    /// outside this package can opt into skipping the issuer check.
    package func sign(header: JSONObject, payload: [UInt8]) throws(SigningError) -> String {
        try sign(encodedHeader: Base64URL.encodedBytes(JSONWriter().bytes(.object(header))), payload: payload)
    }

    private func sign(encodedHeader: [UInt8], payload: [UInt8]) throws(SigningError) -> String {
        var token = encodedHeader
        token.reserveCapacity(encodedHeader.count + payload.count * 4 / 3 + 180)
        token.append(UInt8(ascii: "."))
        token.append(contentsOf: Base64URL.encodedBytes(payload))
        let signature = try signature(for: token)
        token.append(UInt8(ascii: "."))
        token.append(contentsOf: Base64URL.encodedBytes(signature))
        return String(decoding: token, as: UTF8.self)
    }

    /// The raw JWS signature of `signingInput` under the key.
    func signature(for signingInput: [UInt8]) throws(SigningError) -> [UInt8] {
        do {
            switch key.backing {
            case .p256(let privateKey): return Array(try privateKey.signature(for: signingInput).rawRepresentation)
            case .p384(let privateKey): return Array(try privateKey.signature(for: signingInput).rawRepresentation)
            case .ed25519(let privateKey): return Array(try privateKey.signature(for: signingInput))
            case .rsa(let privateKey):
                let padding: _RSA.Signing.Padding = key.algorithm == .ps256 ? .PSS : .insecurePKCS1v1_5
                return Array(try privateKey.signature(for: SHA256.hash(data: signingInput), padding: padding).rawRepresentation)
            }
        } catch {
            throw SigningError("the signature could not be computed")
        }
    }
}
