import AsyncHTTPClient
import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import NIOCore

/// Real HTTP over loopback with AsyncHTTPClient: no cookies kept (the client has no cookie jar), no
/// caching, and redirects are not followed (the login form answers with a redirect to the client,
/// which carries the code). The client is the drill's own; so is ``edgeClient``, through which the
/// mail edge's trust store and push channel reach the provider. ``shutdown()`` closes both clients'
/// connections, even those still being made, before the drill stops its servers.
struct DrillHTTP: Sendable {
    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]

        var json: JSONObject? { try? StrictJSONParser.parseObject(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// The largest answer the drill reads.
    static let maximumBodyBytes = 16 * 1024 * 1024
    private let client: HTTPClient
    /// The mail edge's outgoing HTTP (configured as the library's shared client: no redirects).
    let edgeClient = OutgoingHTTP.makeOwnedClient()

    /// How long one request may take, answer included.
    let requestTimeout: TimeAmount

    /// A client whose requests give up after `requestTimeout` (10 s unless told).
    init(requestTimeout: TimeAmount = .seconds(10)) {
        self.requestTimeout = requestTimeout
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: requestTimeout)))
    }

    /// Closes the client's connections; called once, when the drill stops.
    func shutdown() async {
        try? await client.shutdown()
        try? await edgeClient.shutdown()
    }

    func get(_ url: String, bearer: String? = nil, userAgent: String = "keybound-drill") async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: userAgent)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        return try await send(request)
    }

    func postForm(_ url: String, _ fields: [(String, String)], basic: (String, String)? = nil, cookie: String? = nil,
                  userAgent: String = "keybound-drill") async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "User-Agent", value: userAgent)
        if let (id, secret) = basic {
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString())
        }
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        request.body = .bytes(Array(Self.form(fields).utf8))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> Reply {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: requestTimeout)
            body = try await response.body.collect(upTo: Self.maximumBodyBytes)
        } catch {
            throw StormDrillError("\(request.method.rawValue) \(request.url): \(error)")
        }
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name] = headers[name].map { $0 + ", " + value } ?? value }
        return Reply(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}
