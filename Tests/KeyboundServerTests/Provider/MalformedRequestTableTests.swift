import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// One hostile or malformed request and what the provider must answer. The rows are in
/// `MalformedRequestRows.swift`; the checks every row shares are in ``MalformedRequestTableTests``.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    enum Body: Sendable {
        case none
        /// Encoded with ``ProviderFixture/form(_:)`` (placeholders substituted first).
        case form([(String, String)])
        /// Sent byte for byte (placeholders substituted first).
        case raw(String)
        case bytes([UInt8])
    }

    enum Expect: Sendable {
        /// A JSON error body with this `error`.
        case error(String)
        /// The authorize endpoint's HTML error page (never a redirect).
        case page
        /// A 303 back to the client with this `error`, the request's `state` and `iss`.
        case redirect(String)
        /// Introspection's `{"active": false}` and nothing else.
        case inactive
        /// An empty 200 (revocation of something unknown).
        case empty
    }

    var name: String
    var method: HTTPRequest.Method = .post
    var path: String
    var contentType: String? = "application/x-www-form-urlencoded"
    var authorization: String? = nil
    var body: Body = .none
    var status: HTTPResponse.Status
    var expect: Expect
    /// The `WWW-Authenticate` challenge must start with this.
    var challenge: String? = nil
    /// Whether the `WWW-Authenticate` challenge names an `error` (unchecked when `nil`).
    var challengeNamesError: Bool? = nil

    var testDescription: String { name }

    /// The placeholders rows may use, filled in per run.
    static let placeholders = ["$REFRESH", "$APP", "$USERTOKEN"]

    var usesPlaceholders: Bool {
        let texts: [String]
        switch body {
        case .form(let pairs): texts = pairs.map(\.1) + [authorization ?? ""]
        case .raw(let text): texts = [text, authorization ?? ""]
        default: texts = [authorization ?? ""]
        }
        return texts.contains { text in Self.placeholders.contains { text.contains($0) } }
    }
}

@Suite("Provider: malformed and hostile requests")
struct MalformedRequestTableTests {
    @Test("token endpoint", arguments: MalformedRequestRows.token)
    func token(_ row: MalformedCase) async throws { try await Self.run(row) }

    @Test("introspect, revoke and userinfo", arguments: MalformedRequestRows.resource)
    func resource(_ row: MalformedCase) async throws { try await Self.run(row) }

    @Test("authorize, discovery, jwks and unknown issuers", arguments: MalformedRequestRows.other)
    func other(_ row: MalformedCase) async throws { try await Self.run(row) }

    static func run(_ row: MalformedCase) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        // A second resource, so a request can name two.
        try fixture.store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://files", scopes: ["Files.Read"], roles: ["Files.Read.All"]))
        try await fixture.app.test(.router) { client in
            var values: [String: String] = [:]
            if row.usesPlaceholders {
                let flow = try await ProviderFixture.codeFlow(client, issuer: "contoso", scope: "openid offline_access api://mail/Mail.Read")
                values["$REFRESH"] = try #require(flow["refresh_token"]?.stringValue)
                values["$USERTOKEN"] = try #require(flow["access_token"]?.stringValue)
                values["$APP"] = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            }
            func fill(_ text: String) -> String {
                values.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
            }
            var headers = HTTPFields()
            if let type = row.contentType { headers[.contentType] = type }
            if let authorization = row.authorization { headers[.authorization] = fill(authorization) }
            let body: ByteBuffer?
            switch row.body {
            case .none: body = nil
            case .form(let pairs): body = ProviderFixture.form(pairs.map { ($0.0, fill($0.1)) })
            case .raw(let text): body = ByteBuffer(string: fill(text))
            case .bytes(let bytes): body = ByteBuffer(bytes: bytes)
            }
            let response = try await client.execute(uri: row.path, method: row.method, headers: headers, body: body)
            Self.check(response, row)
        }
    }

    static func check(_ response: TestResponse, _ row: MalformedCase) {
        #expect(response.status.code < 500, "\(row.name): the provider answered \(response.status.code)")
        #expect(response.status == row.status, "\(row.name): \(String(buffer: response.body))")
        let type = response.headers[.contentType] ?? ""
        switch row.expect {
        case .error(let code):
            #expect(type.hasPrefix("application/json"), "\(row.name): content type \(type)")
            let object = try? ProviderFixture.json(response)
            #expect(object?["error"] == .string(code), "\(row.name): \(String(buffer: response.body))")
            #expect(object?["error_description"]?.stringValue?.isEmpty == false, "\(row.name): no error_description")
            #expect(response.headers[.location] == nil)
            // Every JSON error is no-store; the token endpoint's must be (RFC 6749 §5.2).
            #expect(response.headers[.cacheControl] == "no-store", "\(row.name)")
            if row.path.hasSuffix("/token") { #expect(response.headers[.pragma] == "no-cache", "\(row.name)") }
        case .page:
            #expect(type.hasPrefix("text/html"), "\(row.name): content type \(type)")
            #expect(response.headers[.location] == nil, "\(row.name): an error page must never redirect")
            #expect(String(buffer: response.body).contains("Sign-in error"), "\(row.name)")
            #expect(response.headers[.cacheControl] == "no-store")
        case .redirect(let code):
            let location = response.headers[.location] ?? ""
            #expect(location.hasPrefix(ProviderFixture.redirect + "?"), "\(row.name): \(location)")
            let parameters = ProviderFixture.redirectParameters(response)
            #expect(parameters["error"] == code, "\(row.name): \(location)")
            #expect(parameters["error_description"]?.isEmpty == false)
            #expect(parameters["state"] == "st-123")
            #expect(parameters["iss"] == "https://id.keybound.test/contoso")
            #expect(parameters["code"] == nil)
        case .inactive:
            #expect(type.hasPrefix("application/json"))
            #expect((try? ProviderFixture.json(response)) == JSONObject(["active": .bool(false)]), "\(row.name): \(String(buffer: response.body))")
            #expect(response.headers[.cacheControl] == "no-store")
        case .empty:
            #expect(response.body.readableBytes == 0, "\(row.name): \(String(buffer: response.body))")
            #expect(response.headers[.cacheControl] == "no-store")
        }
        if let challenge = row.challenge {
            let header = response.headers[.wwwAuthenticate] ?? ""
            #expect(header.hasPrefix(challenge), "\(row.name): WWW-Authenticate '\(header)'")
            if let named = row.challengeNamesError {
                #expect(header.contains("error=") == named, "\(row.name): WWW-Authenticate '\(header)'")
            }
        }
    }
}
