import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Keybound
import KeyboundServer
import KeyboundStore
import Testing

/// `GET /<issuer>/key-events`: each issuer's key events as Server-Sent Events, resumable by sequence.
@Suite("Provider: key event stream")
struct KeyEventStreamTests {
    /// The `(id, event, data)` triples of an SSE body.
    static func events(_ body: String) -> [(id: Int64, event: String, data: JSONObject)] {
        body.components(separatedBy: "\n\n").compactMap { block in
            var id: Int64?, event: String?, data: JSONObject?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = try? StrictJSONParser.parseObject(Array(line.dropFirst(6).utf8)) }
            }
            guard let id, let event, let data else { return nil }
            return (id, event, data)
        }
    }

    @Test("a revocation appears in the issuer's stream with its sequence number; the other issuer's stream does not carry it")
    func revocationEvent() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let manager = fixture.context.manager
        let active = try await manager.signingKey(issuerID: "contoso")
        let before = try await #require(try manager.latestEvent()).sequence
        _ = try await manager.revoke(issuerID: "contoso", keyID: active.keyID, reason: "leaked", actor: "test", now: Date())
        try await fixture.app.test(.router) { client in
            let response = try await client.execute(uri: "/contoso/key-events?after=\(before)&follow=false", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = Self.events(String(buffer: response.body))
            let revoked = try #require(events.first { $0.event == "revoked" })
            #expect(revoked.data["kid"] == .string(active.keyID))
            #expect(revoked.data["iss"] == .string("https://id.keybound.test/contoso"))
            #expect(revoked.id > before)
            #expect(events.map(\.id) == events.map(\.id).sorted())
            #expect(!String(buffer: response.body).contains("leaked"), "the revocation reason is not published")

            let other = try await client.execute(uri: "/consumers/key-events?after=\(before)&follow=false", method: .get)
            #expect(Self.events(String(buffer: other.body)).isEmpty)

            // Resuming with Last-Event-ID after the revocation gives nothing older.
            let resumed = try await client.execute(uri: "/contoso/key-events?follow=false", method: .get,
                                                   headers: [HTTPField.Name("Last-Event-ID")!: "\(revoked.id)"])
            #expect(Self.events(String(buffer: resumed.body)).allSatisfy { $0.id > revoked.id })
        }
    }

    @Test("from sequence 0 the stream replays the issuer's whole key history; a bad resume point is a 400")
    func replayAndBadInput() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let response = try await client.execute(uri: "/consumers/key-events?after=0&follow=false", method: .get)
            let events = Self.events(String(buffer: response.body))
            #expect(events.contains { $0.event == "created" })
            #expect(events.allSatisfy { $0.data["iss"] == .string("https://id.keybound.test/consumers") })
            let bad = try await client.execute(uri: "/consumers/key-events?after=-1&follow=false", method: .get)
            #expect(bad.status == .badRequest)
            let unknown = try await client.execute(uri: "/nobody/key-events?follow=false", method: .get)
            #expect(unknown.status == .notFound)
        }
    }
}
