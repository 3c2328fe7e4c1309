import Foundation
import HTTPTypes
import Hummingbird
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
import NIOCore
import Synchronization
import Testing
import KeyboundHummingbirdTesting
import KeyboundTesting


/// A string set after the server that needs it has started (its own or another server's address).
final class LateString: Sendable {
    private let value = Mutex("")
    func set(_ string: String) { value.withLock { $0 = string } }
    var string: String { value.withLock { $0 } }
}

/// The outgoing HTTP of the remote trust path over real loopback connections: redirects are never
/// followed, the size cap is enforced while the body streams in, a fetch has a deadline, an event
/// stream is handed over chunk by chunk and fails when idle.
@Suite("Resource side: remote trust over AsyncHTTPClient: no redirects, size caps while streaming, deadlines, idle streams")
struct RemoteTrustHTTPClientTests {
    static func fetcher(timeout: TimeInterval = 5) -> any HTTPFetching { AsyncHTTPClientFetcher(timeout: timeout) }
    static func opener(idleTimeout: TimeInterval) -> any EventStreamOpening {
        AsyncHTTPClientEventStreamOpener(idleTimeout: idleTimeout, maximumBufferedChunks: 256)
    }

    /// The message of the error `operation` throws, or nil when it does not throw.
    static func failure(_ operation: () async throws -> Void) async -> String? {
        do {
            try await operation()
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: Redirects

    @Test("a 302 from discovery or JWKS to another origin is not followed: the other origin sees no request and the refresh fails naming the redirect",
          arguments: ["discovery", "jwks"])
    func redirectIsNotFollowed(redirecting document: String) async throws {
        let issuer = LateString()
        let attackerKey = Mutex<SigningKey?>(nil)
        // The other origin would serve a perfectly good discovery document and JWKS for the issuer.
        let elsewhere = TransportLog()
        let otherRouter = Router()
        otherRouter.get("/iss/.well-known/openid-configuration") { request, _ in
            elsewhere.request(request.uri.path)
            return JSONResponse.make(JSONObject(["issuer": .string(issuer.string), "jwks_uri": .string(issuer.string + "/jwks"),
                                                  "tenant_id": .string(RemoteTrustFixture.tenantID), "tenant_kind": .string("tenant"),
                                                  "max_token_lifetime": .number(3_600)]))
        }
        otherRouter.get("/iss/jwks") { request, _ in
            elsewhere.request(request.uri.path)
            let keys = attackerKey.withLock { $0 }.map { [JSONValue.object($0.publicJWK.publicJSON)] } ?? []
            return JSONResponse.make(JSONObject(["keys": .array(keys)]))
        }
        let other = try await LoopbackServer.start(otherRouter)
        defer { Task { await other.stop() } }

        let router = Router()
        router.get("/iss/.well-known/openid-configuration") { _, _ in
            if document == "discovery" {
                return Response(status: .found, headers: [.location: other.base + "/iss/.well-known/openid-configuration"])
            }
            return JSONResponse.make(JSONObject(["issuer": .string(issuer.string), "jwks_uri": .string(issuer.string + "/jwks"),
                                                  "tenant_id": .string(RemoteTrustFixture.tenantID), "tenant_kind": .string("tenant"),
                                                  "max_token_lifetime": .number(3_600)]))
        }
        router.get("/iss/jwks") { _, _ in Response(status: .found, headers: [.location: other.base + "/iss/jwks"]) }
        let server = try await LoopbackServer.start(router)
        defer { Task { await server.stop() } }
        issuer.set(server.base + "/iss")
        // A key the other origin holds, made out for the issuer: following the redirect would trust it.
        let key = try SigningKey.generate(algorithm: .es256, issuer: issuer.string)
        attackerKey.withLock { $0 = key }

        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: issuer.string)]), fetcher: Self.fetcher())
        await store.refreshAll()
        #expect(!store.isLoaded(issuer.string))
        #expect(elsewhere.requests.isEmpty, "the redirect was followed: \(elsewhere.requests)")
        let error = try #require(store.lastError(issuer.string))
        #expect(error.contains("302") && error.contains("redirect"), "\(error)")
        #expect(try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key, issuer: issuer.string), store).rejection?.code == .untrustedIssuer)
    }

    // MARK: Size and time limits

    @Test("a chunked body without Content-Length is refused as soon as it passes the cap, while it streams in")
    func sizeCapWhileStreaming() async throws {
        let cap = 64 * 1024
        let chunk = 4 * 1024
        let total = 10 * cap
        let log = TransportLog()
        let router = Router()
        router.get("/big") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                do {
                    // Just past the cap, then nothing until the test releases the rest: a fetch that
                    // read the whole body before checking its size would wait here until its timeout.
                    while log.written <= cap {
                        try await writer.write(ByteBuffer(repeating: UInt8(ascii: " "), count: chunk))
                        log.wrote(chunk)
                    }
                    await log.waitForRelease(atMost: 30)
                    while log.written < total {
                        try await writer.write(ByteBuffer(repeating: UInt8(ascii: " "), count: chunk))
                        log.wrote(chunk)
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    try await writer.finish(nil)
                    log.finish()
                } catch {
                    log.writeFailed()
                    throw error
                }
            })
        }
        let server = try await LoopbackServer.start(router)
        defer {
            log.release()
            Task { await server.stop() }
        }

        let error = await Self.failure { _ = try await Self.fetcher(timeout: 20).get(try #require(URL(string: server.base + "/big")), maximumBytes: cap) }
        let writtenAtFailure = log.written
        log.release()
        #expect(error?.contains("larger than \(cap) bytes") == true, "\(error ?? "accepted")")
        #expect(!log.finished, "the fetch waited for the whole body")
        #expect(writtenAtFailure <= cap + chunk, "\(writtenAtFailure) of \(total) bytes written when the fetch failed")
        // The connection was closed: the server's writes fail before it wrote the whole body.
        #expect(await eventually(within: 10) { log.failedToWrite || log.finished })
        #expect(log.failedToWrite && log.written < total, "the server wrote \(log.written) of \(total) bytes")
    }

    @Test("a Content-Length over the cap is refused at once, before the body arrives")
    func declaredLengthOverCap() async throws {
        let cap = 64 * 1024
        let log = TransportLog()
        let router = Router()
        router.get("/declared") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(contentLength: 10 * cap) { writer in
                try await writer.write(ByteBuffer(repeating: UInt8(ascii: " "), count: 1024))
                await log.waitForRelease(atMost: 20)  // the rest never comes
            })
        }
        let server = try await LoopbackServer.start(router)
        defer {
            log.release()
            Task { await server.stop() }
        }

        let started = ContinuousClock.now
        let error = await Self.failure {
            _ = try await Self.fetcher(timeout: 30).get(try #require(URL(string: server.base + "/declared")), maximumBytes: cap)
        }
        #expect(error?.contains("larger than \(cap) bytes") == true, "\(error ?? "accepted")")
        // Well before the 30 s timeout (the body never completes), even on a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(15), "refused after \(ContinuousClock.now - started)")
    }

    @Test("a fetch has a deadline that covers the body: a body trickling in forever fails with the timeout")
    func deadlineCoversTheBody() async throws {
        let log = TransportLog()
        let router = Router()
        router.get("/trickle") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                for _ in 0..<400 where !log.released {
                    try await writer.write(ByteBuffer(string: " "))
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await writer.finish(nil)
            })
        }
        let server = try await LoopbackServer.start(router)
        defer {
            log.release()
            Task { await server.stop() }
        }

        let started = ContinuousClock.now
        let error = await Self.failure {
            _ = try await Self.fetcher(timeout: 3).get(try #require(URL(string: server.base + "/trickle")), maximumBytes: 64 * 1024)
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.contains("timed out") == true, "\(error ?? "accepted")")
        // The body trickles for 20 s; a 3 s deadline ends it well before, even on a loaded machine.
        #expect(elapsed >= .milliseconds(2_900) && elapsed < .seconds(15), "failed after \(elapsed)")
    }

    // MARK: Event streams

    @Test("the event-stream opener hands over each event as it arrives, not at the end of the response")
    func eventStreamChunkByChunk() async throws {
        let log = TransportLog()
        let router = Router()
        router.get("/events") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "id: 1\ndata: one\n\n"))
                await log.waitForRelease(atMost: 20)  // the second event only once the client has the first
                try await writer.write(ByteBuffer(string: "id: 2\ndata: two\n\n"))
                for _ in 0..<200 where !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(100))
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                try await writer.finish(nil)
            })
        }
        let server = try await LoopbackServer.start(router)
        defer {
            log.release()
            Task { await server.stop() }
        }

        let response = try await Self.opener(idleTimeout: 30).open(try #require(URL(string: server.base + "/events")),
                                                                     headers: ["Accept": "text/event-stream"], body: nil)
        defer { response.close() }
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        var parser = ServerSentEventParser()
        var iterator = response.body.makeAsyncIterator()
        var events: [ServerSentEvent] = []
        while events.isEmpty, let chunk = try await iterator.next() { events += try parser.feed(chunk) }
        #expect(events.map(\.data) == ["one"])
        #expect(!log.released)
        log.release()
        while events.count < 2, let chunk = try await iterator.next() { events += try parser.feed(chunk) }
        #expect(events.map(\.data) == ["one", "two"])
        #expect(parser.lastEventID == "2")
    }

    @Test("an event stream on which nothing arrives for idleTimeout fails; keep-alives keep it open until then")
    func eventStreamIdleTimeout() async throws {
        let log = TransportLog()
        let router = Router()
        router.get("/quiet") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "id: 1\ndata: one\n\n"))
                for _ in 0..<4 {  // keep-alives for about 10 s, then silence
                    try await Task.sleep(for: .milliseconds(2_500))
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                await log.waitForRelease(atMost: 90)
                try await writer.finish(nil)
            })
        }
        let server = try await LoopbackServer.start(router)
        defer {
            log.release()
            Task { await server.stop() }
        }

        let started = ContinuousClock.now
        let response = try await Self.opener(idleTimeout: 10).open(try #require(URL(string: server.base + "/quiet")),
                                                                      headers: ["Accept": "text/event-stream"], body: nil)
        defer { response.close() }
        var received = ""
        let error = await Self.failure {
            for try await chunk in response.body { received += String(decoding: chunk, as: UTF8.self) }
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.contains("nothing arrived") == true, "\(error ?? "the stream ended without an error")")
        #expect(received.contains("data: one"))
        #expect(received.components(separatedBy: ": keep-alive").count - 1 == 4, "keep-alives received: \(received)")
        // Four times the keep-alive gap as the idle limit, and a limit long enough for the response head to
        // arrive on a loaded machine (the limit covers the wait for the head too): about 10 s of keep-alives,
        // then 10 s of silence.
        #expect(elapsed >= .seconds(18) && elapsed < .seconds(80), "failed after \(elapsed)")
    }

    @Test("closing an event stream closes the connection: the server's next writes fail")
    func eventStreamCloseClosesTheConnection() async throws {
        let log = TransportLog()
        let router = Router()
        router.get("/events") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                do {
                    for _ in 0..<400 {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        try await Task.sleep(for: .milliseconds(25))
                    }
                    try await writer.finish(nil)
                    log.finish()
                } catch {
                    log.writeFailed()
                    throw error
                }
            })
        }
        let server = try await LoopbackServer.start(router)
        defer { Task { await server.stop() } }

        let response = try await Self.opener(idleTimeout: 30).open(try #require(URL(string: server.base + "/events")),
                                                                     headers: ["Accept": "text/event-stream"], body: nil)
        var iterator = response.body.makeAsyncIterator()
        #expect(try await iterator.next() != nil)
        response.close()
        #expect(await eventually(within: 10) { log.failedToWrite || log.finished })
        #expect(log.failedToWrite, "the server kept writing to a closed stream")
    }
}
