import Foundation

/// One change the rotation engine asks for.
public enum KeyTransition: Sendable, Equatable {
    /// The issuer has no key at all: create its initial key, active at once.
    case createInitialKey(issuerID: String)
    /// Publish the next key as pending; it will sign from `activateAt` on.
    case publishNextKey(issuerID: String, activateAt: Date)
    /// Make `keyID` (pending) the active key; the current active key becomes verify-only.
    /// `emergencyReason` is set when the publish lead time was not waited out.
    case activate(issuerID: String, keyID: String, emergencyReason: String?)
    /// The issuer has no usable active key and no pending one: create one and activate it at once.
    case activateFreshKey(issuerID: String, emergencyReason: String)
    /// Retire a verify-only key whose every token has expired.
    case retire(issuerID: String, keyID: String)

    /// The issuer the transition concerns.
    public var issuerID: String {
        switch self {
        case .createInitialKey(let id), .publishNextKey(let id, _), .activate(let id, _, _),
             .activateFreshKey(let id, _), .retire(let id, _):
            id
        }
    }
}
