import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundServer
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import KeyboundTesting
import KeyboundHummingbirdTesting

@Suite("Alerts: log, admin event stream, webhook")
struct MailAlertTests {
    static let mismatch = TokenRejection(.issuerKeyMismatch, "key of another issuer", tokenIssuer: "https://id.test/contoso",
                                         keyID: "k1", keyIssuer: "https://id.test/consumers")

    @Test("Only alert codes raise alerts, and a flood of the same attempt is folded with a count")
    func foldsRepeats() {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let center = AlertCenter(repeatWindow: 10, now: { clock.withLock { $0 } })
        #expect(center.raise(TokenRejection(.tokenExpired, "old")) == nil, "an expired token is noise, not an alert")
        #expect(center.raise(Self.mismatch, context: AlertContext(tenant: "t1"))?.sequence == 1)
        for _ in 0..<5 { #expect(center.raise(Self.mismatch, context: AlertContext(tenant: "t1")) == nil) }
        #expect(center.raise(Self.mismatch, context: AlertContext(tenant: "t2"))?.sequence == 2, "another tenant is another alert")
        clock.withLock { $0 = $0.addingTimeInterval(11) }
        let next = center.raise(Self.mismatch, context: AlertContext(tenant: "t1"))
        #expect(next?.suppressed == 5)
        #expect(center.alerts(after: 1).map(\.sequence) == [2, 3])
    }

    @Test("The webhook receives each alert as JSON (loopback server)")
    func webhookDelivery() async throws {
        let received = Mutex<[JSONObject]>([])
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 65_536)
            if let object = try? StrictJSONParser.parseObject(Array(buffer: body)) { received.withLock { $0.append(object) } }
            return .noContent
        }
        let port = try FreePort.next()
        var quiet = Logger(label: "hook")
        quiet.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        // Stopped with a graceful shutdown (in-flight requests finish), never by cancelling mid-request.
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        let server = Task { try await group.run() }
        let center = AlertCenter(logger: quiet)
        center.setWebhook(try AlertWebhook(url: URL(string: "http://127.0.0.1:\(port)/hook")!, logger: quiet))
        center.raise(Self.mismatch, context: AlertContext(tokenID: "jti-1", mailbox: "adele@contoso.example"))
        // Count polls, not wall time: a busy test run can stall the pool for a long while.
        for _ in 0..<1_200 where received.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(50)) }
        await group.triggerGracefulShutdown()
        try await server.value
        let first = try #require(received.withLock { $0.first })
        #expect(first["code"]?.stringValue == "issuer_key_mismatch")
        #expect(first["key_issuer"]?.stringValue == "https://id.test/consumers")
        #expect(first["jti"]?.stringValue == "jti-1")
        #expect(first["mailbox"]?.stringValue == "adele@contoso.example")
        #expect(throws: AlertWebhookError.self) { try AlertWebhook(url: URL(string: "file:///etc/passwd")!) }
    }

    @Test("The webhook never follows a redirect: a 307 is a failed delivery, retried at the same URL, never posted elsewhere")
    func webhookRefusesRedirects() async throws {
        let elsewhere = TransportLog()
        let otherRouter = Router()
        otherRouter.post("/hook") { request, _ -> HTTPResponse.Status in
            elsewhere.request(request.uri.path)
            return .noContent
        }
        let other = try await LoopbackServer.start(otherRouter)
        defer { Task { await other.stop() } }
        let attempts = TransportLog()
        let router = Router()
        router.post("/hook") { request, _ in
            attempts.request(request.uri.path)
            return Response(status: .temporaryRedirect, headers: [.location: other.base + "/hook"])
        }
        let server = try await LoopbackServer.start(router)
        defer { Task { await server.stop() } }
        var quiet = Logger(label: "hook")
        quiet.logLevel = .critical
        let center = AlertCenter(logger: quiet)
        center.setWebhook(try AlertWebhook(url: try #require(URL(string: server.base + "/hook")), logger: quiet))
        center.raise(Self.mismatch, context: AlertContext(tokenID: "jti-1"))
        // 4 attempts with 0.5 s, 1 s and 2 s pauses between them.
        #expect(await eventually(within: 30) { attempts.requests.count == 4 }, "\(attempts.requests.count) attempts")
        try await Task.sleep(for: .milliseconds(300))
        #expect(attempts.requests.count == 4)
        #expect(elsewhere.requests.isEmpty, "the redirect was followed: \(elsewhere.requests)")
    }

    @Test("Alerts are listed by the admin API (admin token required), after a given sequence")
    func adminAlerts() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        var configuration = fixture.context.configuration
        configuration.adminToken = String(repeating: "a", count: 40)
        let context = ProviderContext(manager: fixture.context.manager, store: fixture.context.store, configuration: configuration)
        context.alerts.raise(Self.mismatch)
        let admin: HTTPFields = [.authorization: "Bearer \(configuration.adminToken!)"]
        try await Application(router: KeyboundApplication.router(context: context)).test(.router) { client in
            let list = try await client.execute(uri: "/admin/alerts", method: .get, headers: admin)
            #expect(list.status == .ok)
            let alerts = try #require(try ProviderFixture.json(list)["alerts"]?.arrayValue)
            #expect(alerts.count == 1)
            #expect(alerts.first?.objectValue?["code"]?.stringValue == "issuer_key_mismatch")
            let later = try await client.execute(uri: "/admin/alerts?after=1", method: .get, headers: admin)
            #expect(try ProviderFixture.json(later)["alerts"]?.arrayValue?.isEmpty == true)
            let unauthorized = try await client.execute(uri: "/admin/alerts", method: .get)
            #expect(unauthorized.status == .unauthorized)
        }
    }
}
