/// What a node announces to the others after a commit (`PostgresChangeChannel`).
public enum PostgresStoreChange: Sendable, Equatable {
    /// The key store changed: keys, issuers or key events.
    case keys
    /// Issuer `issuerID` appended token events.
    case tokenEvents(issuerID: String)
    /// Issuer `issuerID`'s clients, users or resources changed (announced by the database's triggers).
    case directory(issuerID: String)

    /// The notice's text: `keys`, or `tokens ` or `directory ` and the issuer id.
    public var payload: String {
        switch self {
        case .keys: "keys"
        case .tokenEvents(let issuerID): "tokens " + issuerID
        case .directory(let issuerID): "directory " + issuerID
        }
    }

    /// The change a notice's text names, or `nil` for a text this build does not know (a newer
    /// node's): whoever listens then treats it as "anything may have changed".
    public init?(payload: String) {
        if payload == "keys" {
            self = .keys
        } else if payload.hasPrefix("tokens "), payload.utf8.count > 7 {
            self = .tokenEvents(issuerID: String(payload.dropFirst(7)))
        } else if payload.hasPrefix("directory "), payload.utf8.count > 10 {
            self = .directory(issuerID: String(payload.dropFirst(10)))
        } else {
            return nil
        }
    }
}
