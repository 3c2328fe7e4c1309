import KeyboundStore
import Testing

/// The change notices' text, read back as written; a text this build does not know is `nil`
/// ("anything may have changed").
@Suite("PostgreSQL: change notices")
struct PostgresStoreChangeTests {
    @Test("each change reads back from its notice; an unknown or empty one is nil")
    func roundTrip() {
        for change in [PostgresStoreChange.keys, .tokenEvents(issuerID: "contoso"), .directory(issuerID: "contoso"),
                       .directory(issuerID: "jos\u{E9} two")] {
            #expect(PostgresStoreChange(payload: change.payload) == change, "\(change.payload)")
        }
        #expect(PostgresStoreChange(payload: "directory contoso") == .directory(issuerID: "contoso"))
        #expect(PostgresStoreChange(payload: "directory ") == nil)
        #expect(PostgresStoreChange(payload: "mailboxes contoso") == nil)
    }
}
