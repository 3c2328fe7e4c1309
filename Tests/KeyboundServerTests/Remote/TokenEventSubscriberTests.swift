import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
@testable import KeyboundStore
import Logging
import Synchronization
import Testing
import KeyboundTesting
import KeyboundHummingbirdTesting

/// A remote validator following `/<issuer>/token-events` as a server client, against a live provider.
@Suite("Resource side: token-event subscriber, live provider", .serialized)
struct TokenEventSubscriberLiveTests {
    static func appToken(_ base: String, issuer: String = "contoso") async throws -> String {
        var request = HTTPClientRequest(url: "\(base)/\(issuer)/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Authorization", value: ProviderFixture.basic("daemon", ProviderFixture.secret))
        request.body = .bytes(Array("grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default".utf8))
        let response = try await OutgoingHTTP.client.execute(request, timeout: .seconds(10))
        let body = try await AsyncHTTPClientFetcher.read(response, maximumBytes: 64 * 1024, target: request.url)
        return try #require(try StrictJSONParser.parseObject(body)["access_token"]?.stringValue)
    }

    @Test("a cached token revoked at the provider is refused (token_revoked) and evicted; an uncached revoked token is refused too",
          arguments: ["basic", "private_key_jwt"])
    func revocationReachesTheValidator(method: String) async throws {
        let live = try await LiveProvider.start()
        defer { Task { await live.stop() } }
        let issuer = live.base + "/contoso"
        let store = live.fixture.store
        try store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"],
                                        roles: ["Mail.Read.All"], serverClients: ["daemon", "signer"]))
        live.fixture.context.directory.invalidate()
        let credentials: StreamCredentials = method == "basic"
            ? .clientSecretBasic(clientID: "daemon", secret: ProviderFixture.secret)
            : .privateKeyJWT(clientID: "signer", key: try #require(live.fixture.assertionKeys["contoso"]))
        let validator = try RemoteValidator(issuer: issuer)
        let log = TokenNoticeLog()
        let keys = KeyEventSubscriber(store: validator.store)
        let tokens = TokenEventSubscriber(issuers: [.init(url: issuer, credentials: credentials)], revoked: validator.revoked,
                                          cache: validator.cache, onEvent: { log.record($0) })
        let running = [Task { await keys.run() }, Task { await tokens.run() }]
        defer { for task in running { task.cancel() } }
        #expect(await eventually(within: 30) { keys.isConnected && tokens.isConnected && validator.store.isLoaded(issuer) },
                "\(tokens.lastError(of: issuer) ?? "") / \(keys.lastError(of: issuer) ?? "")")

        let cached = try await Self.appToken(live.base)
        let uncached = try await Self.appToken(live.base)
        await #expect((try? validator.verifier.verify(cached).get()) != nil)
        #expect(validator.cache.identity(for: cached, now: Date()) != nil)

        for token in [cached, uncached] {
            let jti = try #require(ProviderFixture.claims(token)["jti"]?.stringValue)
            try store.revokeToken(issuerID: "contoso", tokenID: jti, reason: "test", kind: .clientRequest, now: Date())
        }
        #expect(await eventually(within: 10) { log.all.count == 2 }, "notices: \(log.all), error: \(tokens.lastError(of: issuer) ?? "")")
        #expect(validator.cache.identity(for: cached, now: Date()) == nil, "evicted")
        await #expect(validator.verifier.verify(cached).failureCode == .tokenRevoked)
        await #expect(validator.verifier.verify(uncached).failureCode == .tokenRevoked, "refused without ever having been cached")
        #expect(log.all.map(\.reason) == ["client_revocation", "client_revocation"])
        #expect(log.all.first?.evicted == 1)
        #expect(tokens.connectionCount(of: issuer) == 1, "applied while the stream stayed open")
    }

    @Test("a validator with credentials gets a key-events stream while the anonymous cap is full, and the key revocation")
    func keyEventsWithCredentials() async throws {
        let live = try await LiveProvider.start(streamLimits: StreamLimits(anonymousPerAddress: 1, anonymousTotal: 1))
        defer { Task { await live.stop() } }
        let issuer = live.base + "/contoso"
        let squatter = try await LiveEventStream.open(issuer + "/key-events")
        defer { squatter.close() }
        #expect(squatter.status == 200)
        let anonymous = try RemoteValidator(issuer: issuer)
        let anonymousKeys = KeyEventSubscriber(store: anonymous.store)
        let validator = try RemoteValidator(issuer: issuer)
        let log = NoticeLog()
        let keys = KeyEventSubscriber(store: validator.store,
                                      credentials: [issuer: .clientSecretBasic(clientID: "daemon", secret: ProviderFixture.secret)],
                                      onEvent: { log.record($0) })
        let running = [Task { await keys.run() }, Task { await anonymousKeys.run() }]
        defer { for task in running { task.cancel() } }
        #expect(await eventually(within: 30) { keys.isConnected && validator.store.isLoaded(issuer) }, "\(keys.lastError(of: issuer) ?? "")")
        #expect(await eventually(within: 10) { anonymousKeys.lastError(of: issuer)?.contains("503") == true },
                "the anonymous subscriber is refused: \(anonymousKeys.lastError(of: issuer) ?? "")")
        #expect(!anonymousKeys.isConnected)
        let active = try await live.fixture.context.manager.signingKey(issuerID: "contoso")
        try await live.fixture.context.manager.revoke(issuerID: "contoso", keyID: active.keyID, reason: "drill", actor: "test", now: Date())
        #expect(await eventually(within: 10) { log.all.contains { $0.keyID == active.keyID && $0.action == .revoked } })
    }
}

/// The token-event subscriber against a scripted server: what it sends, what it ignores.
@Suite("Resource side: token-event subscriber, scripted server")
struct TokenEventSubscriberScriptTests {
    static func event(_ id: Int, iss: String, jti: String, exp: Int = 4_000_000_000, reason: String = "client_revocation") -> String {
        "id: \(id)\nevent: revoked\ndata: {\"sequence\":\(id),\"iss\":\"\(iss)\",\"jti\":\"\(jti)\",\"exp\":\(exp),\"reason\":\"\(reason)\"}\n\n"
    }

    @Test("Basic credentials on every connection; events of another iss (exact bytes) and replays are ignored; the reconnect resumes")
    func scripted() async throws {
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let iss = base + "/iss"
        let requests = Mutex<[(authorization: String?, lastEventID: String?)]>([])
        let scripts = [
            // The Kelvin sign K (U+212A) is not "K": that event belongs to another issuer.
            Self.event(1, iss: iss, jti: "t1") + Self.event(2, iss: base + "/\u{212A}iss", jti: "t2"),
            Self.event(1, iss: iss, jti: "t1") + Self.event(3, iss: iss, jti: "t3"),
        ]
        let router = Router()
        router.get("/iss/token-events") { request, _ in
            let index = requests.withLock { log in
                log.append((request.headers[.authorization], request.headers[HTTPField.Name("Last-Event-ID")!]))
                return log.count - 1
            }
            let script = scripts[min(index, scripts.count - 1)]
            let holdOpen = index >= scripts.count - 1
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: script))
                while holdOpen, !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(100))
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                try await writer.finish(nil)
            })
        }
        var quiet = Logger(label: "fake-token-events")
        quiet.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let serving = GracefulServer(app)
        defer { serving.cancel() }

        let revoked = RevokedTokens()
        let log = TokenNoticeLog()
        var configuration = EventStreamConfiguration()
        configuration.initialBackoff = .milliseconds(100)
        let subscriber = TokenEventSubscriber(issuers: [.init(url: iss, credentials: .clientSecretBasic(clientID: "mail server", secret: "s3:cr&t"))],
                                              revoked: revoked, cache: nil, configuration: configuration, onEvent: { log.record($0) })
        let running = Task { await subscriber.run() }
        defer { running.cancel() }
        #expect(await eventually(within: 20) { log.all.count >= 2 && requests.withLock { $0.count } >= 2 },
                "notices \(log.all), error \(subscriber.lastError(of: iss) ?? "")")
        #expect(log.all.map(\.tokenID) == ["t1", "t3"], "each applied once; the other issuer's never")
        #expect(revoked.isRevoked(issuer: iss, tokenID: "t1", now: Date()))
        #expect(!revoked.isRevoked(issuer: base + "/\u{212A}iss", tokenID: "t2", now: Date()))
        #expect(!revoked.isRevoked(issuer: iss, tokenID: "t2", now: Date()))
        let seen = requests.withLock { $0 }
        // RFC 6749 §2.3.1: id and secret form-encoded, then Base64.
        let expected = "Basic " + Data("mail%20server:s3%3Acr%26t".utf8).base64EncodedString()
        #expect(seen.allSatisfy { $0.authorization == expected }, "\(seen.map(\.authorization))")
        #expect(seen.first?.lastEventID == nil)
        #expect(seen.dropFirst().first?.lastEventID == "2", "resumes after the last id seen, also another issuer's")
        running.cancel()
        await running.value
        serving.cancel()
        _ = await serving.result
    }
}
