import Keybound

/// PKCS#11 custody: a ``SigningCustodian`` whose keys live in a ``PKCS11Token`` and sign there.
///
/// A token that is absent or not answering reads as ``SigningError/isUnavailable``, so a server
/// answers 503 and the next request, once the token is back, signs again.
public struct PKCS11Custodian: SigningCustodian {
    /// The token that holds the keys.
    public let token: PKCS11Token

    /// A custodian of the keys in `token`.
    public init(token: PKCS11Token) {
        self.token = token
    }

    public func signature(for signingInput: [UInt8], with key: SigningKeyHandle) async throws(SigningError) -> [UInt8] {
        do {
            return try await token.sign(signingInput, with: key)
        } catch {
            throw SigningError(error.message, unavailable: error.code == .unavailable)
        }
    }
}

extension PKCS11Custodian: KeyGeneratingCustodian {
    public func generateKey(algorithm: JWSAlgorithm, issuer: String) async throws(SigningError) -> SigningKeyHandle {
        do {
            return try await token.generateKey(algorithm: algorithm, issuer: issuer)
        } catch {
            throw SigningError(error.message, unavailable: error.code == .unavailable)
        }
    }

    public func destroyPrivateKey(issuer: String, keyID: String) async throws(SigningError) -> Bool {
        do {
            return try await token.destroyPrivateKey(issuer: issuer, keyID: keyID)
        } catch {
            throw SigningError(error.message, unavailable: error.code == .unavailable)
        }
    }
}
