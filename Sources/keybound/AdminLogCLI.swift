import Foundation
import KeyboundStore

extension StoreOptions {
    /// Records a change this command made in the admin log (docs/console.md#the-admin-log), as
    /// actor (`cli`, the `--actor`). The change has been made: if the log cannot be written, the
    /// command says so on standard error and still succeeds, so that a script does not retry it.
    func recordChange(_ action: String, issuerID: String?, target: String = "", reason: String = "") async {
        let entry = AdminAction(at: now, actorIssuer: "cli", actorSubject: actor, action: action, issuerID: issuerID, target: target,
                                reason: reason, outcome: AdminAction.succeeded)
        do {
            let store = try await openProviderStore()
            _ = try await storeCall { () async throws(StoreError) in try await store.appendAdminAction(entry) }
        } catch {
            FileHandle.standardError.write(Data("warning: \(action) of \(issuerID ?? "-") \(target) was made but not recorded in the admin log: \(error)\n".utf8))
        }
    }
}
