import Foundation
import Keybound
import KeyboundServer
import KeyboundStore

extension StoreOptions {
    /// The key manager and provider store of the data directory, as the shared directory operations.
    func openDirectory() async throws(CLIError) -> DirectoryAdministration {
        let directory = try sqliteDirectory()
        let manager = try await openManager()
        let store = try storeCall { () throws(StoreError) in try SQLiteProviderStore(directory: directory) }
        return DirectoryAdministration(manager: manager, store: store)
    }

    /// Prints `object` as JSON, or `text` without --json.
    func emit(_ object: JSONObject, text: @autoclosure () -> String) {
        if json { CLIOutput.printJSON(object) } else { print(text()) }
    }
}
