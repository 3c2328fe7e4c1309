import Keybound
import KeyboundStore

/// Who is calling the admin API, once ``AdminAuthentication`` has checked the credentials.
package enum AdminCaller: Sendable, Equatable {
    /// The holder of the static admin token: an operator.
    case adminToken
    /// A console user of the operator issuer holding `Console.Operator`: an operator.
    case consoleOperator(ConsoleUser)
    /// A console user of a tenant issuer holding `Console.TenantAdmin`: that issuer only.
    case tenantAdmin(ConsoleUser)

    /// A console user: the issuer they signed in at, and their subject there.
    package struct ConsoleUser: Sendable, Equatable {
        /// The issuer's id.
        package let issuerID: String
        /// The issuer's URL, the token's `iss`.
        package let issuerURL: String
        /// The user's `sub`.
        package let subject: String
    }

    /// The actor recorded with the changes the caller makes (key events, the log lines).
    package var actor: String {
        switch self {
        case .adminToken: AdminEndpoints.actor
        case .consoleOperator(let user), .tenantAdmin(let user): "console:\(user.issuerID)/\(user.subject)"
        }
    }

    /// The actor's issuer and subject, as the admin log records them.
    var logged: (issuer: String, subject: String) {
        switch self {
        case .adminToken: ("admin-token", AdminEndpoints.actor)
        case .consoleOperator(let user), .tenantAdmin(let user): (user.issuerURL, user.subject)
        }
    }

    /// Whether the caller may do what `permission` names on the issuer `issuerID` (from the path;
    /// `nil` for a route outside any issuer), compared by exact bytes.
    func may(_ permission: AdminPermission, issuerID: String?) -> Bool {
        switch self {
        case .adminToken, .consoleOperator: return true
        case .tenantAdmin(let user):
            guard permission != .anyone else { return true }
            guard permission.isOpenToTenantAdmins, let issuerID else { return false }
            return user.issuerID.isExactly(issuerID)
        }
    }
}

/// What an admin route does, for the permission table of docs/console.md: an operator may do
/// everything; a tenant admin only what is open to tenant admins, on its own issuer.
package enum AdminPermission: Sendable, Equatable {
    /// Answered to any authenticated caller (the catch-all 404).
    case anyone
    /// Reads an issuer's settings, keys, clients, resources or users.
    case readIssuer
    /// Creates, changes or disables an issuer's clients and users, and names a resource's server clients.
    case manageDirectory
    /// Asks for a rotation of the issuer's keys.
    case rotateKeys
    /// Everything else: creating issuers, revoking keys, registering resources, the key event log,
    /// alerts, the hunt and incidents.
    case operatorOnly

    /// Whether a tenant admin may do it (on its own issuer).
    var isOpenToTenantAdmins: Bool {
        switch self {
        case .anyone, .readIssuer, .manageDirectory, .rotateKeys: true
        case .operatorOnly: false
        }
    }
}
