import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// Tests a protected resource, in the manner of HummingbirdTesting: the same test body runs against
/// the application's router in memory (`.router`, fast, no socket) or against a live server on a
/// loopback port (`.live`, the real HTTP stack), and sends bearer tokens, for instance those of a
/// `FakeIssuer` from KeyboundTesting.
///
/// ```swift
/// let contoso = try FakeIssuer("https://login.example.test/contoso", tenantID: "contoso-tid")
/// try await ProtectedResourceTest(app).run(.live) { client in
///     let response = try await client.get("/files", bearer: contoso.accessToken(audience: "api://files"))
///     #expect(response.status == .ok)
/// }
/// ```
public struct ProtectedResourceTest<App: ApplicationProtocol> {
    private let app: App

    /// A harness for `app`.
    public init(_ app: App) { self.app = app }

    /// Runs `body` with a client of the application over `transport`.
    public func run<Value>(_ transport: ResourceTestTransport = .router,
                           _ body: @escaping @Sendable (ResourceTestClient) async throws -> Value) async throws -> Value {
        let setup: TestingSetup = transport == .router ? .router : .live
        return try await app.test(setup) { client in try await body(ResourceTestClient(client)) }
    }
}

/// How a ``ProtectedResourceTest`` reaches the application.
public enum ResourceTestTransport: Sendable, CaseIterable {
    /// The router, in memory.
    case router
    /// A live server on a free loopback port.
    case live
}

/// A client of a protected resource under test: requests with or without a bearer token.
public struct ResourceTestClient: Sendable {
    private let client: any TestClientProtocol

    init(_ client: any TestClientProtocol) { self.client = client }

    /// Sends a request; `bearer` becomes `Authorization: Bearer <token>` unless `headers` already
    /// has an `Authorization` field.
    public func execute(_ path: String, method: HTTPRequest.Method = .get, bearer: String? = nil,
                        headers: HTTPFields = [:], body: [UInt8]? = nil) async throws -> TestResponse {
        var fields = headers
        if let bearer, fields[.authorization] == nil { fields[.authorization] = "Bearer \(bearer)" }
        return try await client.execute(uri: path, method: method, headers: fields,
                                        body: body.map { ByteBuffer(bytes: $0) })
    }

    /// `GET path`, with `bearer` when given.
    public func get(_ path: String, bearer: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(path, bearer: bearer, headers: headers)
    }
}

extension TestResponse {
    /// The body's bytes.
    public var bodyBytes: [UInt8] { Array(body.readableBytesView) }
}
