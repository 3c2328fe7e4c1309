import Keybound
import Synchronization

/// PKCS#11 custody: a ``SigningCustodian`` whose keys live in a ``PKCS11Token`` and sign there.
///
/// Every failure of the token reads as ``SigningError/isUnavailable`` (absent, not answering, the
/// PIN refused, the key gone), so a server answers 503, never 500 and never with another key, and
/// the next request, once the token is back, signs again.
public struct PKCS11Custodian: SigningCustodian {
    private let source: Source

    /// An open token, or a configuration still to open (when the token was away at start).
    private final class Source: Sendable {
        let configuration: PKCS11Configuration
        let opened: Mutex<PKCS11Token?>

        init(configuration: PKCS11Configuration, token: PKCS11Token?) {
            self.configuration = configuration
            self.opened = Mutex(token)
        }

        func token() async throws(PKCS11Error) -> PKCS11Token {
            if let token = opened.withLock({ $0 }) { return token }
            let fresh = try await PKCS11Token.open(configuration)
            let (kept, spare) = opened.withLock { current -> (PKCS11Token, PKCS11Token?) in
                if let current { return (current, fresh) }
                current = fresh
                return (fresh, nil)
            }
            if let spare { await spare.close() }
            return kept
        }
    }

    /// A custodian of the keys in `token`.
    public init(token: PKCS11Token) {
        self.source = Source(configuration: token.configuration, token: token)
    }

    /// A custodian of the keys in the token `configuration` names, opened at its first use and,
    /// until that succeeds, at each use after: for a process that must start while its token is
    /// away (a revocation, a tick for the other issuers), and whose PKCS#11 issuers answer 503 until it is back.
    public init(opening configuration: PKCS11Configuration) {
        self.source = Source(configuration: configuration, token: nil)
    }

    /// The open token (opening it now if it was not).
    public func token() async throws(PKCS11Error) -> PKCS11Token { try await source.token() }

    public func signature(for signingInput: [UInt8], with key: SigningKeyHandle) async throws(SigningError) -> [UInt8] {
        try await withToken { token throws(PKCS11Error) in try await token.sign(signingInput, with: key) }
    }

    /// `body` on the open token, any failure of either as an unavailable ``SigningError``.
    private func withToken<T>(_ body: (PKCS11Token) async throws(PKCS11Error) -> T) async throws(SigningError) -> T {
        do {
            return try await body(try await source.token())
        } catch {
            throw SigningError(error.message, unavailable: true)
        }
    }
}

extension PKCS11Custodian: KeyGeneratingCustodian {
    public func generateKey(algorithm: JWSAlgorithm, issuer: String) async throws(SigningError) -> SigningKeyHandle {
        try await withToken { token throws(PKCS11Error) in try await token.generateKey(algorithm: algorithm, issuer: issuer) }
    }

    public func destroyPrivateKey(issuer: String, keyID: String) async throws(SigningError) -> Bool {
        try await withToken { token throws(PKCS11Error) in try await token.destroyPrivateKey(issuer: issuer, keyID: keyID) }
    }
}
