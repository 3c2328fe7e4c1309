import Foundation

/// What the provider's status endpoint says about one token (the last resort of the issuance
/// check, for a token that arrived before its feed entry, or that a full set does not hold).
public enum RemoteIssuanceStatus: Sendable, Equatable {
    /// Issued, with this claims digest (SHA-256 of the JWS payload) and `exp`.
    case issued(claimsDigest: [UInt8], expiresAt: Date)
    /// Issued, and revoked since.
    case revoked
    /// Never issued by this issuer.
    case notIssued
    /// The provider could not be asked, or did not answer in time.
    case unavailable
}

/// Asks an issuer's provider whether it issued a token, over its authenticated status endpoint.
public protocol IssuanceStatusQuerying: Sendable {
    /// The status of `issuer`'s token `tokenID`.
    func status(issuer: String, tokenID: String) async -> RemoteIssuanceStatus
}
