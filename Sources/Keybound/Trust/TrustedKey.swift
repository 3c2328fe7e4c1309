/// A key trusted for exactly one issuer, with its lifecycle window.
public struct TrustedKey: Sendable {
    /// The key's `kid`.
    public let keyID: String
    /// The imported key, or why it was refused at import (weak or invalid keys verify nothing).
    public let material: Result<JWK, KeyImportError>
    /// When the key may have signed and until when it verifies.
    public var lifecycle: KeyLifecycle

    /// Trusts an imported key. The key must have a `kid`.
    public init(_ key: JWK, lifecycle: KeyLifecycle = .unbounded) throws(KeyImportError) {
        guard let keyID = key.keyID else { throw KeyImportError(.malformed, "a trusted key needs a kid") }
        self.keyID = keyID
        self.material = .success(key)
        self.lifecycle = lifecycle
    }

    /// Records a key that was refused at import, so tokens naming it get `key_not_usable`.
    public init(unusable: JWKSet.UnusableKey) {
        self.keyID = unusable.keyID
        self.material = .failure(unusable.error)
        self.lifecycle = .unbounded
    }

    /// The per-key `issuer` member, if the key carried one.
    var declaredIssuer: String? {
        switch material {
        case .success(let key): key.issuer
        case .failure: nil
        }
    }
}
