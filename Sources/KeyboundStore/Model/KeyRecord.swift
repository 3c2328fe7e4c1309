import Foundation
import Keybound

/// Where a key is in its life.
public enum KeyState: String, Sendable, CaseIterable {
    /// Published in the JWKS, waiting out caches; never signs.
    case pending
    /// Signs new tokens. Exactly one per (issuer, purpose).
    case active
    /// No longer signs; verifies tokens it signed until they have all expired.
    case verifyOnly = "verify-only"
    /// Out of the JWKS; verifies nothing. Its public part is kept forever.
    case retired
    /// Compromised or withdrawn; verifies nothing, and every token it signed is suspect.
    case revoked
}

/// One signing key of one issuer, with its whole history. Keys are never deleted.
public struct KeyRecord: Sendable, Equatable {
    /// The issuer the key belongs to, forever.
    public var issuerID: String
    /// The `kid` (the RFC 7638 thumbprint).
    public var keyID: String
    /// The algorithm it signs with.
    public var algorithm: JWSAlgorithm
    /// What it signs: access tokens or ID tokens. Fixed for the key's whole life.
    public var purpose: KeyPurpose
    /// Its state.
    public var state: KeyState
    /// The public JWK (with `kid`, `alg`, `use` and `issuer`), as published.
    public var publicJWK: String
    /// The private JWK sealed under the key-encryption key (AES-GCM, combined form); empty for a
    /// key in ``KeyCustody/pkcs11`` custody, whose private half never leaves its token.
    public var sealedPrivateKey: [UInt8]
    /// The fingerprint of the key-encryption key that sealed it; empty for a PKCS#11 key.
    public var kekFingerprint: String
    /// Who holds the private half. Fixed for the key's whole life.
    public var custody: KeyCustody
    /// When the private half was destroyed in its token (a retired or revoked PKCS#11 key).
    public var privateKeyDestroyedAt: Date?
    /// When it was created and published.
    public var createdAt: Date
    /// When a pending key is scheduled to start signing.
    public var scheduledActivation: Date?
    /// When it started signing.
    public var activatedAt: Date?
    /// When it stopped signing.
    public var deactivatedAt: Date?
    /// Until when a verify-only key verifies.
    public var verifyUntil: Date?
    /// When it was retired.
    public var retiredAt: Date?
    /// When it was revoked.
    public var revokedAt: Date?
    /// Why it was revoked.
    public var revocationReason: String?
    /// Who revoked it.
    public var revokedBy: String?
    /// Why it was activated without waiting out the publish lead time, if it was.
    public var emergencyReason: String?
    /// Whether it was its issuer's very first key (active at once: nothing to overlap with).
    public var isInitial: Bool

    /// Creates a record.
    public init(
        issuerID: String, keyID: String, algorithm: JWSAlgorithm, purpose: KeyPurpose = .accessToken, state: KeyState, publicJWK: String,
        sealedPrivateKey: [UInt8], kekFingerprint: String, createdAt: Date, scheduledActivation: Date? = nil,
        activatedAt: Date? = nil, deactivatedAt: Date? = nil, verifyUntil: Date? = nil, retiredAt: Date? = nil,
        revokedAt: Date? = nil, revocationReason: String? = nil, revokedBy: String? = nil,
        emergencyReason: String? = nil, isInitial: Bool = false, custody: KeyCustody = .software, privateKeyDestroyedAt: Date? = nil
    ) {
        self.issuerID = issuerID
        self.keyID = keyID
        self.algorithm = algorithm
        self.purpose = purpose
        self.state = state
        self.publicJWK = publicJWK
        self.sealedPrivateKey = sealedPrivateKey
        self.kekFingerprint = kekFingerprint
        self.createdAt = createdAt
        self.scheduledActivation = scheduledActivation
        self.activatedAt = activatedAt
        self.deactivatedAt = deactivatedAt
        self.verifyUntil = verifyUntil
        self.retiredAt = retiredAt
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
        self.revokedBy = revokedBy
        self.emergencyReason = emergencyReason
        self.isInitial = isInitial
        self.custody = custody
        self.privateKeyDestroyedAt = privateKeyDestroyedAt
    }
}

/// A recorded key event: creation, activation, verify-only, retirement, revocation, re-sealing.
/// The sequence number increases monotonically; validators resume from the last one they saw.
public struct KeyEvent: Sendable, Equatable {
    /// Event kinds.
    public enum Kind: String, Sendable, CaseIterable {
        /// Created (and published), activated, made verify-only, retired, revoked, or re-sealed under a new KEK.
        case created, activated, verifyOnly = "verify-only", retired, revoked, resealed
    }

    /// Monotonically increasing sequence number.
    public var sequence: Int64
    /// The issuer of the key.
    public var issuerID: String
    /// The key's `kid`.
    public var keyID: String
    /// What happened.
    public var kind: Kind
    /// When.
    public var at: Date
    /// Who caused it: `engine`, a user name, `kek-rotate`.
    public var actor: String
    /// Why (free text, e.g. a revocation reason or "scheduled rotation").
    public var reason: String

    /// Creates an event record.
    public init(sequence: Int64, issuerID: String, keyID: String, kind: Kind, at: Date, actor: String, reason: String) {
        self.sequence = sequence
        self.issuerID = issuerID
        self.keyID = keyID
        self.kind = kind
        self.at = at
        self.actor = actor
        self.reason = reason
    }
}
