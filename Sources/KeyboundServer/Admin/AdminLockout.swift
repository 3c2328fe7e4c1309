import Foundation
import KeyboundStore

/// Changes a tenant admin may not make because they would lock it, or every admin of its tenant,
/// out of the console, where only an operator could let them back in: disabling the console's
/// client, disabling itself, or taking away its own console role. An operator may make them (and
/// undo them); another tenant admin of the same issuer may disable or demote this one.
enum AdminLockout {
    /// 409 `conflict`, saying why and who may.
    static func refusal(_ why: String) -> OAuthError {
        OAuthError.conflict("\(why); another tenant admin or an operator may make this change")
    }

    /// Whether `username` of `issuerID` is the signed-in tenant admin `caller` (same issuer, same
    /// subject, by exact bytes). An unknown user is not (the change then answers its own 404).
    static func isCaller(_ caller: AdminCaller.ConsoleUser, issuerID: String, username: String,
                         directory: DirectoryAdministration) async throws -> Bool {
        guard caller.issuerID.isExactly(issuerID), let user = try? await directory.user(issuerID: issuerID, username: username) else {
            return false
        }
        return user.subject.isExactly(caller.subject)
    }
}
