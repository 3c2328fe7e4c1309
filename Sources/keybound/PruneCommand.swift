import ArgumentParser
import Foundation
import Keybound
import KeyboundStore

/// `keybound prune`: one pruning pass over the provider store (what `keybound serve` does every
/// `prune.interval`): expired authorization codes, expired client-assertion ids, dead refresh chains.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete expired authorization codes, client-assertion ids and dead refresh chains (docs/provider.md).")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let providerStore = try await store.openProviderStore()
        let now = store.now
        let report = try await storeCall { () async throws(StoreError) in try await providerStore.prune(now: now) }
        if store.json {
            CLIOutput.printJSON(JSONObject([
                "authorization_codes": .number(Double(report.authorizationCodes)),
                "client_assertions": .number(Double(report.clientAssertions)),
                "refresh_tokens": .number(Double(report.refreshTokens)),
            ]))
        } else {
            print("pruned \(report.authorizationCodes) authorization codes, \(report.clientAssertions) client-assertion ids, "
                  + "\(report.refreshTokens) refresh tokens")
        }
    }
}
