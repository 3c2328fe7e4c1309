import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
@testable import KeyboundStore
import Logging
import Testing
import KeyboundTesting

/// On a store shared by nodes, `/admin/alerts` on any node lists every node's alerts, each with
/// the node that raised it; on one node (SQLite) it stays this process's own.
@Suite("Server: every node's alerts through the shared alert log", .timeLimit(.minutes(10)))
struct SharedAlertsTests {
    /// A cross-issuer key attempt, as a validator reports it.
    static let mismatch = TokenRejection(.issuerKeyMismatch, "key of another issuer", tokenIssuer: "https://id.test/contoso",
                                         keyID: "k1", keyIssuer: "https://id.test/consumers")

    static let adminToken = String(repeating: "a", count: 40)
    static let admin: HTTPFields = [.authorization: "Bearer \(adminToken)"]

    static func context(_ fixture: StoreFixture, manager: KeyManager) throws -> ProviderContext {
        ProviderContext(manager: manager, store: try fixture.openProviderStore(),
                        configuration: ServerConfiguration(publicURL: "https://id.test", adminToken: adminToken))
    }

    @Test("an alert raised on node A is listed by node B's admin API, naming node A")
    func nodeBListsNodeA() async throws {
        let fixture = try await StoreFixture(.postgres)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let nodeA = try Self.context(fixture, manager: manager), nodeB = try Self.context(fixture, manager: manager)
        let writer = try #require(nodeA.sharedAlerts, "a shared store gets a shared alert log")
        #expect(nodeA.node != nodeB.node)
        let writing = Task { await writer.run(logger: Logger(label: "test.alerts")) }
        defer { writing.cancel() }
        nodeA.alerts.raise(Self.mismatch, context: AlertContext(tokenID: "jti-1", tenant: "t1"))
        nodeA.alerts.raise(Self.mismatch, context: AlertContext(tokenID: "jti-2", tenant: "t2"))

        try await Application(router: KeyboundApplication.router(context: nodeB)).test(.router) { client in
            var listed: [JSONValue] = []
            let arrived = try await eventually(within: 15) {
                let list = try await client.execute(uri: "/admin/alerts", method: .get, headers: Self.admin)
                listed = try ProviderFixture.json(list)["alerts"]?.arrayValue ?? []
                return listed.count == 2
            }
            #expect(arrived, "node B lists node A's alerts: \(listed)")
            let first = try #require(listed.first?.objectValue)
            #expect(first["code"]?.stringValue == "issuer_key_mismatch")
            #expect(first["node"]?.stringValue == nodeA.node)
            #expect(first["sequence"]?.numberValue == 1 && first["node_sequence"]?.numberValue == 1)
            #expect(first["jti"]?.stringValue == "jti-1" && first["tenant"]?.stringValue == "t1")
            #expect(nodeB.alerts.alerts().isEmpty, "node B raised nothing itself")

            let later = try await client.execute(uri: "/admin/alerts?after=1", method: .get, headers: Self.admin)
            let rest = try ProviderFixture.json(later)
            #expect(rest["alerts"]?.arrayValue?.compactMap { $0.objectValue?["jti"]?.stringValue } == ["jti-2"])
            #expect(rest["latest_sequence"]?.numberValue == 2)
        }
    }

    @Test("on SQLite the admin API lists this process's alerts: no shared log")
    func singleNode() async throws {
        let fixture = try await StoreFixture(.sqlite)
        defer { fixture.remove() }
        let context = try Self.context(fixture, manager: try await fixture.open())
        #expect(context.sharedAlerts == nil)
    }
}
