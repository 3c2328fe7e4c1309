/// The steps of `keybound incident respond`, in order. Each is idempotent, and its completion is
/// recorded in the incident's `incident.json` before the next begins, so a run killed at any
/// point and run again completes the remaining steps without repeating or losing any.
public enum IncidentStep: String, Sendable, CaseIterable, Codable {
    /// Revoke the compromised key. If it was the active key, a fresh key is activated in the same
    /// transaction (the key store's emergency rotation), so signing never stops.
    case revokeKey = "revoke_key"
    /// Make sure the issuer has an active key other than the compromised one, and record it.
    case activateFreshKey = "activate_fresh_key"
    /// Revoke every token the ledger shows signed with the key, and the refresh chains they belong to.
    case revokeTokens = "revoke_tokens"
    /// Hunt the audit log for every use of the key, forged tokens and cross-issuer attempts.
    case hunt = "hunt"
    /// Write the timeline, the list of affected organisations and one notice per organisation.
    case writeNotices = "write_notices"
    /// Mark the incident closed.
    case close = "close"
}
