import Foundation
import KeyboundAudit

/// One audit record the hunt flags as malicious (forged tokens, cross-issuer keys, revoked or
/// inactive keys). First-time access is not a finding but a ``HuntLead``.
public struct HuntFinding: Sendable {
    /// What was found. The raw values are stable (JSON `kind`).
    public enum Kind: String, Sendable, CaseIterable, Comparable {
        /// A token whose claims the issuer's ledger does not hold, accepted or refused only by the ledger check.
        case forgedToken = "forged_token"
        /// A token signed with another issuer's key (`issuer_key_mismatch`, or accepted by a kid-only validator).
        case crossIssuerKey = "cross_issuer_key"
        /// A token refused because its key is revoked (`key_revoked`).
        case revokedKeyUse = "revoked_key_use"
        /// A token refused because its key is not active (`key_not_active`).
        case inactiveKeyUse = "inactive_key_use"
        /// A token accepted although the key store shows its key revoked before the request.
        case revokedKeyAccepted = "revoked_key_accepted"
        /// A token accepted although the key store shows its key retired before the request.
        case inactiveKeyAccepted = "inactive_key_accepted"

        /// The finding's category: item 2 (forged tokens) or item 3 (key misuse) of the hunt.
        public var category: Category {
            switch self {
            case .forgedToken: .forgedToken
            case .crossIssuerKey: .crossIssuer
            case .revokedKeyUse, .inactiveKeyUse, .revokedKeyAccepted, .inactiveKeyAccepted: .revokedOrInactiveKey
            }
        }

        /// A short title for reports.
        public var title: String {
            switch self {
            case .forgedToken: "Forged token"
            case .crossIssuerKey: "Cross-issuer key"
            case .revokedKeyUse: "Revoked key used"
            case .inactiveKeyUse: "Inactive key used"
            case .revokedKeyAccepted: "Revoked key accepted"
            case .inactiveKeyAccepted: "Retired key accepted"
            }
        }

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// The categories (JSON `category`).
    public enum Category: String, Sendable, CaseIterable {
        /// Forged tokens (signature fine, claims never issued).
        case forgedToken = "forged_token"
        /// A key used across issuers.
        case crossIssuer = "cross_issuer"
        /// A revoked or inactive key.
        case revokedOrInactiveKey = "revoked_or_inactive_key"
    }

    /// What was found.
    public var kind: Kind
    /// The audit record.
    public var record: AuditRecord
    /// Why, for people.
    public var reason: String
    /// Why, as a stable code: for forged tokens `not_issued`, `issued_by_other_issuer`,
    /// `claims_differ`, `no_jti` or `no_claims_digest`; otherwise the rejection code, or
    /// `accepted_after_revocation`, `accepted_after_retirement`, `accepted_with_foreign_key`.
    public var reasonCode: String
    /// Whether the request was served.
    public var accepted: Bool { record.verdict == .allowed }
    /// The id of the issuer the token claims (`iss` mapped through the key store), if known.
    public var claimedIssuerID: String?
    /// The issuers that really own the token's `kid`, when it is not a key of the claimed issuer.
    public var keyOwnerIssuerIDs: [String]
    /// The key's state in the key store now, if the key is known.
    public var keyState: String?
    /// When the key was revoked, if it was.
    public var keyRevokedAt: Date?
    /// What the key signs (`access-token`, `id-token`), if the key is known. An access token signed
    /// with an ID-token key is itself a sign of a stolen key.
    public var keyPurpose: String? = nil
    /// Whether the issuance ledger holds exactly these claims (a genuinely issued token).
    public var tokenInLedger: Bool?

    /// A finding.
    public init(kind: Kind, record: AuditRecord, reason: String, reasonCode: String, claimedIssuerID: String? = nil,
                keyOwnerIssuerIDs: [String] = [], keyState: String? = nil, keyRevokedAt: Date? = nil, tokenInLedger: Bool? = nil) {
        self.kind = kind
        self.record = record
        self.reason = reason
        self.reasonCode = reasonCode
        self.claimedIssuerID = claimedIssuerID
        self.keyOwnerIssuerIDs = keyOwnerIssuerIDs
        self.keyState = keyState
        self.keyRevokedAt = keyRevokedAt
        self.tokenInLedger = tokenInLedger
    }
}
