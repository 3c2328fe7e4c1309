import Foundation
import Keybound
import KeyboundStore
import Testing

/// `IssuerRecord.validate()`: every bad setting is refused with `invalid_issuer` and one clear
/// message, and `createIssuer` stores nothing for an invalid record.
@Suite("Key store: issuer validation")
struct StoreIssuerValidationTests {
    /// A record that differs from a valid consumer issuer by one setting.
    static func consumer(_ change: (inout IssuerRecord) -> Void) -> IssuerRecord {
        var issuer = StoreIssuers.consumer()
        change(&issuer)
        return issuer
    }

    static let invalid: [(name: String, record: IssuerRecord, message: String)] = [
        ("lead time equal to the rotation period", consumer { $0.publishLeadTime = $0.rotationPeriod }, "must be shorter than the rotation period"),
        ("lead time above the rotation period", consumer { $0.publishLeadTime = $0.rotationPeriod + 1 }, "must be shorter than the rotation period"),
        ("zero lead time", consumer { $0.publishLeadTime = 0 }, "publish lead time must be positive"),
        ("tenant without tenant id", consumer { $0.kind = .tenant }, "needs --tenant-id"),
        ("tenant with an empty tenant id", consumer { $0.kind = .tenant; $0.tenantID = "" }, "needs --tenant-id"),
        ("tenant id with a slash", consumer { $0.kind = .tenant; $0.tenantID = "a/b" }, "must be 1-128 characters"),
        ("tenant id with a space", consumer { $0.kind = .tenant; $0.tenantID = "a b" }, "must be 1-128 characters"),
        ("129-character tenant id", consumer { $0.kind = .tenant; $0.tenantID = String(repeating: "a", count: 129) }, "must be 1-128 characters"),
        ("empty id", consumer { $0.id = "" }, "must be 1-64 characters"),
        ("upper-case id", consumer { $0.id = "Consumers" }, "must be 1-64 characters"),
        ("id with a space", consumer { $0.id = "my issuer" }, "must be 1-64 characters"),
        ("id with a slash", consumer { $0.id = "../etc" }, "must be 1-64 characters"),
        ("non-ASCII id", consumer { $0.id = "ünï" }, "must be 1-64 characters"),
        ("65-character id", consumer { $0.id = String(repeating: "a", count: 65) }, "must be 1-64 characters"),
        ("id of the admin API's route", consumer { $0.id = "admin" }, "is reserved"),
        ("id of the health route", consumer { $0.id = "health" }, "is reserved"),
        ("id of the metrics route", consumer { $0.id = "metrics" }, "is reserved"),
        ("URL that is not a URL", consumer { $0.url = "not a url" }, "must be an absolute http(s) URL"),
        ("relative URL", consumer { $0.url = "/consumers" }, "must be an absolute http(s) URL"),
        ("ftp URL", consumer { $0.url = "ftp://login.keybound.test/x" }, "must be an absolute http(s) URL"),
        ("URL with a query", consumer { $0.url = "https://login.keybound.test/x?tenant=1" }, "must not have a query or fragment"),
        ("URL with a fragment", consumer { $0.url = "https://login.keybound.test/x#a" }, "must not have a query or fragment"),
        ("maximum key age below the rotation period", consumer { $0.maximumKeyAge = $0.rotationPeriod - 1 }, "maximum key age"),
        ("rotation period under an hour", consumer { $0.rotationPeriod = 3_599; $0.publishLeadTime = 60; $0.maximumTokenLifetime = 60; $0.maximumKeyAge = 3_599 }, "at least 1 hour"),
        ("token lifetime over a day", consumer { $0.maximumTokenLifetime = 86_401 }, "between 1 second and 1 day"),
        ("token lifetime not below the rotation period", consumer { $0.rotationPeriod = 3_600; $0.publishLeadTime = 60; $0.maximumTokenLifetime = 3_600; $0.maximumKeyAge = 3_600 }, "shorter than the rotation period"),
    ]

    @Test("Invalid settings are refused with invalid_issuer and a clear message", arguments: invalid.indices)
    func invalidRecord(index: Int) {
        let (name, record, message) = Self.invalid[index]
        #expect(throws: StoreError.self, "\(name)") { try record.validate() }
        do {
            try record.validate()
        } catch {
            #expect(error.code == .invalidIssuer, "\(name)")
            #expect(error.message.contains(message), "\(name): \(error.message)")
        }
    }

    @Test("Boundary values just inside the rules are accepted")
    func boundariesAccepted() throws {
        try StoreIssuers.consumer().validate()
        try StoreIssuers.tenant().validate()
        try Self.consumer { $0.publishLeadTime = $0.rotationPeriod - 1 }.validate()
        try Self.consumer { $0.maximumKeyAge = $0.rotationPeriod }.validate()
        try Self.consumer { $0.id = String(repeating: "a", count: 64) }.validate()
        try Self.consumer { $0.id = "a-0" }.validate()
        try Self.consumer { $0.url = "http://localhost:8080/realm" }.validate()
        try IssuerRecord(id: "defaults", url: "https://login.keybound.test/defaults", kind: .consumer, createdAt: StoreClock.origin).validate()
    }

    @Test("createIssuer refuses an invalid record and stores nothing", arguments: StoreBackend.allCases)
    func createRefusesInvalid(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let error = try await #require(throws: StoreError.self) {
            try await manager.createIssuer(Self.consumer { $0.publishLeadTime = $0.rotationPeriod })
        }
        #expect(error.code == .invalidIssuer)
        await #expect(try manager.issuers().isEmpty)
        await #expect(try manager.keys().isEmpty)
        await #expect(try manager.events().isEmpty)
    }

    @Test("A consumer realm's tid is generated: the first keeps the well-known one, the next gets its own; a given one is refused", arguments: StoreBackend.allCases)
    func consumerTenantIDs(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer("alpha")])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        try await manager.createIssuer(StoreIssuers.consumer("beta"))
        let alpha = try await #require(try manager.issuer(id: "alpha").tenantID)
        let beta = try await #require(try manager.issuer(id: "beta").tenantID)
        #expect(alpha == IssuerRecord.wellKnownConsumerTenantID)
        #expect(beta != alpha && UUID(uuidString: beta) != nil)
        let given = try await #require(throws: StoreError.self) { try await manager.createIssuer(Self.consumer { $0.id = "gamma"; $0.url += "/gamma"; $0.tenantID = "t-1" }) }
        #expect(given.code == .invalidIssuer && given.message.contains("generated"))
    }

    @Test("Every issuer's tid is its own: a tenant may not take another issuer's tid, not even the consumer realm's", arguments: StoreBackend.allCases)
    func uniqueTenantID(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer("alpha"), StoreIssuers.tenant("contoso")])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let contosoTID = try await #require(try manager.issuer(id: "contoso").tenantID)
        for taken in [contosoTID, IssuerRecord.wellKnownConsumerTenantID] {
            var copy = StoreIssuers.tenant("copycat-\(taken.count)")
            copy.tenantID = taken
            let error = try await #require(throws: StoreError.self) { try await manager.createIssuer(copy) }
            #expect(error.code == .issuerExists && error.message.contains("tenant id"), "\(error.message)")
        }
        await #expect(try manager.issuers().map(\.id) == ["alpha", "contoso"])
    }

    @Test("Two issuers may not share an id or a URL", arguments: StoreBackend.allCases)
    func uniqueIDAndURL(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer("alpha")])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let sameID = try await #require(throws: StoreError.self) { try await manager.createIssuer(StoreIssuers.consumer("alpha")) }
        #expect(sameID.code == .issuerExists)
        var sameURL = StoreIssuers.consumer("beta")
        sameURL.url = StoreIssuers.url("alpha")
        let urlError = try await #require(throws: StoreError.self) { try await manager.createIssuer(sameURL) }
        #expect(urlError.code == .issuerExists)
        await #expect(try manager.issuers().map(\.id) == ["alpha"])
        await #expect(try manager.keys().count == KeyPurpose.allCases.count, "alpha's initial keys only")
    }
}
