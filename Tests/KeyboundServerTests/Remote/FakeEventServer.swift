import Foundation
import HTTPTypes
import Hummingbird
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
import Synchronization

/// A scripted SSE server: each connection to `/iss/key-events` gets the next script; the last one
/// keeps the stream open (with keep-alive comments) until the client leaves.
final class FakeEventServer: Sendable {
    let base: String
    let issuer: String
    let keys: [SigningKey]
    private let scripts: [String]
    private let log = Mutex<[(path: String, lastEventID: String?)]>([])

    init(port: Int, keys: [SigningKey], scripts: [String]) {
        base = "http://127.0.0.1:\(port)"
        issuer = base + "/iss"
        self.keys = keys
        self.scripts = scripts
    }

    var requests: [(path: String, lastEventID: String?)] { log.withLock { $0 } }

    /// The tenant id the fake issuer's discovery document publishes.
    static let tenantID = RemoteTrustFixture.tenantID


    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        router.get("/iss/.well-known/openid-configuration") { _, _ in
            self.log.withLock { $0.append(("discovery", nil)) }
            return JSONResponse.make(JSONObject(["issuer": .string(self.issuer), "jwks_uri": .string(self.issuer + "/jwks"),
                                                 "tenant_id": .string(Self.tenantID), "tenant_kind": .string("tenant"),
                                                 "max_token_lifetime": .number(3_600)]))
        }
        router.get("/iss/jwks") { _, _ in
            self.log.withLock { $0.append(("jwks", nil)) }
            return JSONResponse.make(JSONObject(["keys": .array(self.keys.map { .object($0.publicJWK.publicJSON) })]))
        }
        router.get("/iss/key-events") { request, _ in
            let lastEventID = request.headers[.lastEventID]
            let index = self.log.withLock { log in
                log.append(("key-events", lastEventID))
                return log.filter { $0.path == "key-events" }.count - 1
            }
            let script = self.scripts[min(index, self.scripts.count - 1)]
            let holdOpen = index >= self.scripts.count - 1
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: script))
                while holdOpen, !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(100))
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                try await writer.finish(nil)
            })
        }
        return router
    }

    /// Waits until the server answers (so that nothing the client does happens before it listens).
    func waitUntilListening() async -> Bool {
        guard let url = URL(string: base + "/health") else { return false }
        let fetcher = AsyncHTTPClientFetcher(timeout: 1)
        for _ in 0..<200 {
            if (try? await fetcher.get(url, maximumBytes: 100))?.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The positions in ``requests`` of requests to `path`.
    func offsets(_ path: String) -> [Int] { requests.enumerated().filter { $0.element.path == path }.map(\.offset) }

    static func event(_ id: Int, _ kind: String, kid: String, iss: String) -> String {
        "id: \(id)\nevent: \(kind)\ndata: {\"sequence\":\(id),\"iss\":\"\(iss)\",\"kid\":\"\(kid)\",\"kind\":\"\(kind)\",\"at\":1800000000}\n\n"
    }
}
