import Foundation

/// One change the rotation engine asks for. Each concerns one (issuer, purpose) lifecycle; the
/// purpose defaults to ``KeyPurpose/accessToken``.
public enum KeyTransition: Sendable, Equatable {
    /// The issuer has no key of the purpose at all: create its initial key, active at once.
    case createInitialKey(issuerID: String, purpose: KeyPurpose = .accessToken)
    /// Publish the purpose's next key as pending; it will sign from `activateAt` on.
    case publishNextKey(issuerID: String, activateAt: Date, purpose: KeyPurpose = .accessToken)
    /// Make `keyID` (pending) the active key of its purpose; the current active key of that purpose
    /// becomes verify-only. `emergencyReason` is set when the publish lead time was not waited out.
    case activate(issuerID: String, keyID: String, emergencyReason: String?, purpose: KeyPurpose = .accessToken)
    /// The issuer has no usable active key of the purpose and no pending one: create one and
    /// activate it at once.
    case activateFreshKey(issuerID: String, emergencyReason: String, purpose: KeyPurpose = .accessToken)
    /// Retire a verify-only key whose every token has expired.
    case retire(issuerID: String, keyID: String, purpose: KeyPurpose = .accessToken)

    /// The issuer the transition concerns.
    public var issuerID: String {
        switch self {
        case .createInitialKey(let id, _), .publishNextKey(let id, _, _), .activate(let id, _, _, _),
             .activateFreshKey(let id, _, _), .retire(let id, _, _):
            id
        }
    }

    /// The key purpose the transition concerns.
    public var purpose: KeyPurpose {
        switch self {
        case .createInitialKey(_, let purpose), .publishNextKey(_, _, let purpose), .activate(_, _, _, let purpose),
             .activateFreshKey(_, _, let purpose), .retire(_, _, let purpose):
            purpose
        }
    }
}
