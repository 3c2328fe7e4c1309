import Foundation
import KeyboundStore
import Testing

/// The one storage setting: `--database`, `--data`, `KEYBOUND_DATABASE`, `KEYBOUND_DATA`.
@Suite("Storage setting: --database")
struct DatabaseLocationTests {
    @Test("the first level that is set wins: command line, then environment, then ./keybound-data")
    func precedence() throws {
        let environment = ["KEYBOUND_DATABASE": "sqlite:/env/db"]
        #expect(try DatabaseLocation.resolve(database: "sqlite:/cli/db", data: nil, environment: environment)
                == .sqlite(directory: URL(fileURLWithPath: "/cli/db")))
        #expect(try DatabaseLocation.resolve(database: nil, data: "/cli/data", environment: environment)
                == .sqlite(directory: URL(fileURLWithPath: "/cli/data")))
        #expect(try DatabaseLocation.resolve(database: nil, data: nil, environment: environment)
                == .sqlite(directory: URL(fileURLWithPath: "/env/db")))
        #expect(try DatabaseLocation.resolve(database: nil, data: nil, environment: ["KEYBOUND_DATA": "/env/data"])
                == .sqlite(directory: URL(fileURLWithPath: "/env/data")))
        #expect(try DatabaseLocation.resolve(database: nil, data: nil, environment: [:])
                == .sqlite(directory: URL(fileURLWithPath: "keybound-data")))
        let postgres = try DatabaseLocation.resolve(database: "postgres://kb@127.0.0.1:5433/identity", data: nil, environment: [:])
        guard case .postgres(let settings) = postgres else { Issue.record("not postgres: \(postgres)"); return }
        #expect(settings.port == 5433 && settings.database == "identity")
        #expect(postgres.description == "postgres://kb@127.0.0.1:5433/identity?sslmode=disable")
    }

    @Test("both forms at one level are refused rather than guessed between")
    func bothRefused() {
        let cli = #expect(throws: StoreError.self) {
            try DatabaseLocation.resolve(database: "sqlite:/a", data: "/b", environment: [:])
        }
        #expect(cli?.message.contains("--database or --data, not both") == true)
        let environment = #expect(throws: StoreError.self) {
            try DatabaseLocation.resolve(database: nil, data: nil, environment: ["KEYBOUND_DATABASE": "sqlite:/a", "KEYBOUND_DATA": "/b"])
        }
        #expect(environment?.message.contains("KEYBOUND_DATABASE or KEYBOUND_DATA") == true)
    }

    @Test("unknown schemes, an empty directory and a URL with a password are refused; the password is never repeated",
          arguments: ["mysql://kb@x/y", "/plain/path", "sqlite:", "postgres://kb:pa55word@127.0.0.1/identity",
                      "postgres://kb@db.example/identity?sslmode=disable"])
    func refused(text: String) {
        let error = #expect(throws: StoreError.self) { try DatabaseLocation(parsing: text) }
        #expect(error?.code == .storage)
        #expect(error?.message.contains("pa55word") == false)
    }
}
