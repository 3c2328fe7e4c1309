import Foundation

/// A protected API registered with an issuer: its audience, the delegated scopes and application
/// roles it defines, and the confidential clients that serve it. Keybound Mail is `api://mail`.
public struct ResourceRecord: Sendable, Equatable {
    /// The issuer's id.
    public var issuerID: String
    /// The audience (`aud`) of tokens for this resource, e.g. `api://mail`.
    public var audience: String
    /// Delegated scopes, e.g. `Mail.Read`, requested as `api://mail/Mail.Read`.
    public var scopes: [String]
    /// Application roles, e.g. `Mail.Read.All`.
    public var roles: [String]
    /// The client ids of the confidential clients of the same issuer that serve this audience (the
    /// resource servers' own credentials): each may introspect access tokens whose `aud` contains
    /// ``audience`` and follow their revocations on `/<issuer>/token-events`. Checked when stored:
    /// every id must be a confidential client of ``issuerID``, by exact bytes.
    public var serverClients: [String]

    /// A resource record.
    public init(issuerID: String, audience: String, scopes: [String], roles: [String], serverClients: [String] = []) {
        self.issuerID = issuerID
        self.audience = audience
        self.scopes = scopes
        self.roles = roles
        self.serverClients = serverClients
    }

    /// Whether `clientID` is one of ``serverClients``, by exact bytes.
    public func isServed(by clientID: String) -> Bool {
        serverClients.contains { $0.utf8.elementsEqual(clientID.utf8) }
    }
}
