import Foundation
import Keybound
import KeyboundServer
import KeyboundStore
import Logging

extension StoreOptions {
    /// The key manager and provider store, as the shared directory operations.
    func openDirectory() async throws(CLIError) -> DirectoryAdministration {
        let (manager, store) = try await openManagerAndProviderStore()
        return DirectoryAdministration(manager: manager, store: store)
    }

    /// The provider store (clients, users, resources, grants, ledger) at the storage setting: the
    /// SQLite file in the data directory, or the PostgreSQL database (its schema brought up to date).
    func openProviderStore() async throws(CLIError) -> any ProviderStore {
        switch try location() {
        case .sqlite(let directory):
            return try storeCall { () throws(StoreError) in try SQLiteProviderStore(directory: directory) }
        case .postgres(let settings):
            return try await storeCall { () async throws(StoreError) in try await KeyboundCLI.openDatabase(settings).provider }
        }
    }

    /// Prints `object` as JSON, or `text` without --json.
    func emit(_ object: JSONObject, text: @autoclosure () -> String) {
        if json { CLIOutput.printJSON(object) } else { print(text()) }
    }
}
