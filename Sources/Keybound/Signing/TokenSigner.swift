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

    /// A signer for `key`.
    public init(key: SigningKey) { self.key = key }

    /// Signs exactly `claims`, with a header of `alg`, `kid` and `typ`.
    public func sign(claims: JSONObject, type: String = ExpectedTokenType.accessToken.rawValue) throws(SigningError) -> String {
        guard case .string(let issuer)? = claims["iss"] else {
            throw SigningError("the claims have no 'iss' string; a key signs only for its own issuer")
        }
        guard issuer.isExactly(key.issuer) else {
            throw SigningError("key '\(key.keyID)' belongs to issuer '\(key.issuer)' and will not sign for '\(issuer)'")
        }
        let header = JSONObject(["alg": .string(key.algorithm.rawValue), "kid": .string(key.keyID), "typ": .string(type)])
        return try sign(header: header, payload: JSONWriter().bytes(.object(claims)))
    }

    func sign(header: JSONObject, payload: [UInt8]) throws(SigningError) -> String {
        var signingInput = Array(Base64URL.encode(JSONWriter().bytes(.object(header))).utf8)
        signingInput.append(UInt8(ascii: "."))
        signingInput.append(contentsOf: Base64URL.encode(payload).utf8)
        let signature = try signature(for: signingInput)
        return String(decoding: signingInput, as: UTF8.self) + "." + Base64URL.encode(signature)
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
