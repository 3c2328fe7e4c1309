import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
@testable import KeyboundApp
import KeyboundIncident
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import KeyboundTesting
import Testing

/// The admin API's incident routes (`/admin/issuers/{issuer}/keys/{kid}/respond`, `/admin/incidents`):
/// the same response as the console's and the CLI's, started by an operator credential, checked,
/// admin-logged, run in the background on the node, and read back with its documents.
@Suite("Admin API: incident response", .serialized)
struct AdminIncidentTests {
    typealias Fixture = ConsoleIncidentTests.Fixture

    static func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: String? = nil,
                     token: String? = ConsoleIncidentTests.adminToken) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    static func json(_ response: TestResponse) throws -> JSONObject { try StrictJSONParser.parseObject(Array(response.body.readableBytesView)) }

    @Test("an operator starts the response through the API (202, Location), polls it to closed, reads its documents; bad input is refused and nothing starts")
    func respondThroughTheAPI() async throws {
        let fixture = try await Fixture()
        defer { fixture.mail.remove() }
        let kid = try await ConsoleIncidentTests.attack(fixture)
        let respond = "/admin/issuers/contoso/keys/\(kid)/respond"
        let folder = FolderIncidentStore(dataDirectory: fixture.mail.provider.directory)
        try await fixture.app.test(.router) { client in
            #expect(try await Self.call(client, .post, respond, body: #"{"reason":"stolen"}"#, token: nil).status == .unauthorized)
            for (body, status) in [("{}", HTTPResponse.Status.badRequest), (#"{"reason":"  "}"#, .badRequest), (#"{"reason":"a\nb"}"#, .badRequest),
                                   (#"{"reason":"x","extra":1}"#, .badRequest)] {
                let refused = try await Self.call(client, .post, respond, body: body)
                #expect(refused.status == status, "\(body): \(refused.status)")
                #expect(try Self.json(refused)["error"] == .string("invalid_request"))
            }
            #expect(try await Self.call(client, .post, "/admin/issuers/contoso/keys/no-such-kid/respond", body: #"{"reason":"x"}"#).status == .notFound)
            #expect(try await Self.call(client, .post, "/admin/issuers/nobody/keys/\(kid)/respond", body: #"{"reason":"x"}"#).status == .notFound)
            #expect(try await folder.incidents().isEmpty, "no incident was opened by a refused request")
            #expect(try await fixture.context.manager.keys(issuerID: "contoso").first { $0.keyID == kid }?.state == .active)

            let started = try await Self.call(client, .post, respond, body: #"{"reason":"contoso signing key stolen"}"#)
            #expect(started.status == .accepted)
            let location = try #require(started.headers[.location])
            #expect(location.hasPrefix("/admin/incidents/INC-"))
            let first = try Self.json(started)
            let id = try #require(first["id"]?.stringValue)
            #expect(first["issuer"] == .string("contoso") && first["kid"] == .string(kid) && location == "/admin/incidents/\(id)")

            // The console's page of the same node sees the run the API started (one desk).
            let operatorCookie = try await fixture.session(client, issuer: "operator")
            let consoleState = try Self.json(try await ConsoleIncidentTests.get(client, "/console/incidents/\(id)/state", cookie: operatorCookie))
            #expect(consoleState["stopped"] == .bool(false), "\(consoleState)")

            var state = JSONObject()
            for _ in 0..<300 {
                let polled = try await Self.call(client, .get, location)
                #expect(polled.status == .ok)
                state = try Self.json(polled)
                if state["closed"] == .bool(true) || state["stopped"] == .bool(true) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state["closed"] == .bool(true), "\(state)")
            let steps = state["steps"]?.arrayValue?.compactMap { $0.objectValue } ?? []
            #expect(steps.map { $0["step"]?.stringValue ?? "" } == IncidentStep.allCases.map(\.rawValue) && steps.allSatisfy { $0["done"] == .bool(true) })
            #expect(state["fresh_kid"]?.stringValue != nil && state["fresh_kid"] != .string(kid))
            #expect(try await fixture.context.manager.keys(issuerID: "contoso").first { $0.keyID == kid }?.state == .revoked)
            let documents = state["documents"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(documents.contains("timeline.md") && documents.contains("notices/\(MailFixture.contosoTenant).md"), "\(documents)")

            let listed = try Self.json(try await Self.call(client, .get, "/admin/incidents"))
            #expect(listed["incidents"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } == [id])

            let timeline = try await Self.call(client, .get, location + "/document?name=timeline.md")
            #expect(timeline.status == .ok && timeline.headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(String(buffer: timeline.body).contains(id))
            #expect(try await Self.call(client, .get, location + "/document?name=..%2F..%2Fprovider.sqlite").status == .notFound)
            #expect(try await Self.call(client, .get, location + "/document").status == .badRequest)
            #expect(try await Self.call(client, .get, "/admin/incidents/INC-0000").status == .notFound)
            #expect(try await Self.call(client, .get, "/admin/incidents/provider.sqlite").status == .notFound)

            // Again: the same, closed incident.
            let again = try await Self.call(client, .post, respond, body: #"{"reason":"again"}"#)
            #expect(again.status == .accepted && again.headers[.location] == location)

            let log = try fixture.mail.provider.store.adminLog(issuerID: "contoso", after: 0, limit: 100).map(\.action)
            #expect(log.contains { $0.action == "incident.respond" && $0.outcome == AdminAction.succeeded && $0.target == kid
                && $0.reason == "contoso signing key stolen" && $0.actorSubject == "admin-api" })
            #expect(log.contains { $0.action == "incident.respond" && $0.outcome.hasPrefix("refused 400") })
        }
    }
}
