import Foundation
import KeyboundStore
import Testing

/// Each issuer's directory version, on both backends: every change to its clients, users and
/// resources counts, whoever writes, and no other issuer's; a ledger commit minted from an older
/// version is refused.
// The limit guards against a hang. It also counts the wait for a PostgreSQL permit
// (`StoreFixture.postgresPermits`), which under the full suite\'s load the slow KEK-rotation
// cases can hold for two minutes or more. Passing full runs finished these suites at 490–575 s,
// and on 2026-12-07, with the VM slower (a whole run of 691 s), at more than 600: hence twenty
// minutes. A real hang still ends the run well inside CI's limit.
@Suite("Directory versions contract", .timeLimit(.minutes(20)))
struct DirectoryVersionContractTests {
    typealias Contract = ProviderStoreContractTests

    @Test("every change to an issuer's clients, users and resources counts, and only for that issuer", arguments: StoreBackend.allCases)
    func counts(backend: StoreBackend) async throws {
        try await Contract.withStore(backend) { fixture, store in
            #expect(try await store.directoryVersion(issuerID: "contoso") == 0)
            try await store.insert(Contract.client("contoso", "daemon"))
            let afterInsert = try await store.directoryVersion(issuerID: "contoso")
            #expect(afterInsert > 0)
            var client = try #require(try await store.client(issuerID: "contoso", clientID: "daemon"))
            client.isDisabled = true
            try await store.update(client)
            let afterUpdate = try await store.directoryVersion(issuerID: "contoso")
            #expect(afterUpdate > afterInsert)
            try await store.insert(Contract.user("contoso", "alice"))
            let afterUser = try await store.directoryVersion(issuerID: "contoso")
            #expect(afterUser > afterUpdate)
            try await store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read"], roles: [], serverClients: []))
            #expect(try await store.directoryVersion(issuerID: "contoso") > afterUser)
            #expect(try await store.directoryVersion(issuerID: "fabrikam") == 0, "another issuer's directory did not change")
            #expect(try await store.directoryVersion(issuerID: "Contoso") == 0, "exact bytes")
            // Whoever writes: another instance (another node) sees the same count.
            #expect(try await fixture.openProviderStore().directoryVersion(issuerID: "contoso") == store.directoryVersion(issuerID: "contoso"))
        }
    }

    @Test("a commit minted from an older directory version is refused; from the current one it is written", arguments: StoreBackend.allCases)
    func commitChecksVersion(backend: StoreBackend) async throws {
        try await Contract.withStore(backend) { _, store in
            try await store.insert(Contract.client("contoso", "daemon"))
            let version = try await store.directoryVersion(issuerID: "contoso")
            let current = Contract.access("contoso")
            try await store.commit(IssuanceEntry(records: [current], directoryVersion: DirectoryVersion(issuerID: "contoso", version: version)))
            #expect(try await store.issuance(issuerID: "contoso", tokenID: current.tokenID) != nil)

            try await store.insert(Contract.user("contoso", "alice"))  // the directory moves on
            let stale = Contract.access("contoso"), unchecked = Contract.access("contoso")
            // Submitted together, so that on PostgreSQL they can share one batch.
            let refused = Task { try await store.commit(IssuanceEntry(records: [stale],
                                                                      directoryVersion: DirectoryVersion(issuerID: "contoso", version: version))) }
            let written = Task { try await store.commit(IssuanceEntry(records: [unchecked])) }
            let error = await Contract.storeError { try await refused.value }
            #expect(error?.code == .directoryChanged)
            try await written.value
            #expect(try await store.issuance(issuerID: "contoso", tokenID: stale.tokenID) == nil, "never in the ledger, never handed out")
            #expect(try await store.issuance(issuerID: "contoso", tokenID: unchecked.tokenID) != nil, "the rest of the batch is written")
        }
    }
}
