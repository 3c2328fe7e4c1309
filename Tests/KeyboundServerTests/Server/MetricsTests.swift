import Hummingbird
import HummingbirdTesting
import Testing
@testable import KeyboundServer

/// `/metrics`: the Prometheus registry, Hummingbird's request metrics and the provider counters.
/// The tests share one process and one registry, so each uses its own issuer label and route.
@Suite("Server: Prometheus metrics")
struct MetricsTests {
    /// One parsed sample line: `name{label="value",...} value`.
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// The samples in a Prometheus text exposition (comments skipped).
    static func samples(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                  let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                return Sample(name: String(series), labels: [:], value: value)
            }
            guard series.hasSuffix("}") else { return nil }
            var labels: [String: String] = [:]
            // Label values used in these tests contain no quotes, commas or backslashes.
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else { return nil }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The value of the one sample named `name` whose labels include `labels`, or nil.
    static func value(_ text: String, _ name: String, _ labels: [String: String]) -> Double? {
        let matching = samples(text).filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.count == 1 ? matching[0].value : nil
    }

    @Test("bootstrap can be called again and again")
    func bootstrapIsIdempotent() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { KeyboundMetrics.bootstrap() } }
        }
        KeyboundMetrics.bootstrap()
        #expect(KeyboundMetrics.isGlobalBackend)
    }

    @Test("GET /metrics serves the text format and counts requests to other routes")
    func metricsRoute() async throws {
        let router = Router()
        KeyboundMetrics.registerMetricsRoute(on: router)
        KeyboundMetrics.addMetricsMiddleware(to: router)
        router.get("/metrics-test/ping") { _, _ in "pong" }
        KeyboundMetrics.bootstrap()
        let app = Application(router: router)
        try await app.test(.router) { client in
            for _ in 0..<3 {
                let ping = try await client.execute(uri: "/metrics-test/ping", method: .get)
                #expect(ping.status == .ok)
            }
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: response.body)
            #expect(text.contains("# TYPE hb_requests counter"))
            let requests = Self.value(text, "hb_requests", [
                "http_route": "/metrics-test/ping", "http_request_method": "GET", "http_response_status_code": "200",
            ])
            #expect(requests == 3)
            let durations = Self.value(text, "http_server_request_duration_count", [
                "http_route": "/metrics-test/ping", "http_request_method": "GET", "http_response_status_code": "200",
            ])
            #expect(durations == 3)
            // The scrape route was registered before the middleware, so it is not measured.
            #expect(Self.samples(text).allSatisfy { $0.labels["http_route"] != "/metrics" })
        }
    }

    @Test("the route can be served at another path")
    func customPath() async throws {
        let router = Router()
        KeyboundMetrics.registerMetricsRoute(on: router, path: "/internal/metrics")
        ProviderMetrics.tokenRequestFailed(issuer: "t-route", error: "invalid_client")
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/internal/metrics", method: .get)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(Self.value(text, "keybound_token_errors_total", ["issuer": "t-route", "error": "invalid_client"]) == 1)
            let missing = try await client.execute(uri: "/metrics", method: .get)
            #expect(missing.status == .notFound)
        }
    }

    @Test("tokens issued are counted per issuer, grant and kind")
    func tokensIssued() {
        KeyboundMetrics.bootstrap()
        ProviderMetrics.tokenIssued(issuer: "t-issuer", grant: "client_credentials", kind: "access")
        ProviderMetrics.tokenIssued(issuer: "t-issuer", grant: "client_credentials", kind: "access")
        ProviderMetrics.tokenIssued(issuer: "t-issuer", grant: "authorization_code", kind: .id)
        let text = KeyboundMetrics.render()
        #expect(text.contains("# TYPE keybound_tokens_issued_total counter"))
        let access = ["issuer": "t-issuer", "grant": "client_credentials", "kind": "access"]
        #expect(Self.value(text, "keybound_tokens_issued_total", access) == 2)
        let id = ["issuer": "t-issuer", "grant": "authorization_code", "kind": "id"]
        #expect(Self.value(text, "keybound_tokens_issued_total", id) == 1)
        let sample = Self.samples(text).first { $0.name == "keybound_tokens_issued_total" && $0.labels == access }
        #expect(sample?.labels.keys.sorted() == ["grant", "issuer", "kind"])
    }

    @Test("labels outside the fixed sets are recorded as _other")
    func boundedLabels() {
        ProviderMetrics.tokenIssued(issuer: "t-bounded", grant: "urn:attacker:\(UInt64.random(in: 0...UInt64.max))", kind: "access")
        ProviderMetrics.tokenIssued(issuer: "t-bounded", grant: "refresh_token", kind: "bogus-kind")
        ProviderMetrics.tokenRequestFailed(issuer: "t-bounded", error: "invalid_grant")
        ProviderMetrics.tokenRequestFailed(issuer: "t-bounded", error: "made up error text")
        ProviderMetrics.tokenRequestFailed(issuer: "T-Bounded/../sub=alice", error: "invalid_client")
        ProviderMetrics.keyEvent(issuer: "t-bounded", kind: "verify-only")
        ProviderMetrics.keyEvent(issuer: "t-bounded", kind: .revoked)
        ProviderMetrics.keyEvent(issuer: "t-bounded", kind: "exploded")
        let text = KeyboundMetrics.render()
        #expect(Self.value(text, "keybound_tokens_issued_total", ["issuer": "t-bounded", "grant": "_other", "kind": "access"]) == 1)
        #expect(Self.value(text, "keybound_tokens_issued_total", ["issuer": "t-bounded", "grant": "refresh_token", "kind": "_other"]) == 1)
        #expect(Self.value(text, "keybound_token_errors_total", ["issuer": "t-bounded", "error": "invalid_grant"]) == 1)
        #expect(Self.value(text, "keybound_token_errors_total", ["issuer": "t-bounded", "error": "_other"]) == 1)
        #expect(Self.value(text, "keybound_token_errors_total", ["issuer": "_other", "error": "invalid_client"]) ?? 0 >= 1)
        #expect(!text.contains("alice"))
        #expect(!text.contains("urn:attacker"))
        #expect(Self.value(text, "keybound_key_events_total", ["issuer": "t-bounded", "kind": "verify-only"]) == 1)
        #expect(Self.value(text, "keybound_key_events_total", ["issuer": "t-bounded", "kind": "revoked"]) == 1)
        #expect(Self.value(text, "keybound_key_events_total", ["issuer": "t-bounded", "kind": "_other"]) == 1)
    }

    @Test("issuer ids have the issuer id form")
    func issuerIDForm() {
        #expect(ProviderMetrics.isIssuerID("contoso"))
        #expect(ProviderMetrics.isIssuerID("t-1"))
        #expect(!ProviderMetrics.isIssuerID(""))
        #expect(!ProviderMetrics.isIssuerID("Contoso"))
        #expect(!ProviderMetrics.isIssuerID("a b"))
        #expect(!ProviderMetrics.isIssuerID(String(repeating: "a", count: 65)))
        #expect(!ProviderMetrics.isIssuerID("_other"))
    }

    @Test("ledger batches feed the size histogram and the commit timer")
    func ledgerBatches() {
        let before = KeyboundMetrics.render()
        let sizeCount = Self.value(before, "keybound_ledger_batch_size_count", [:]) ?? 0
        let smallBucket = Self.value(before, "keybound_ledger_batch_size_bucket", ["le": "4.0"]) ?? 0
        let commitCount = Self.value(before, "keybound_ledger_commit_seconds_count", [:]) ?? 0
        ProviderMetrics.ledgerBatch(size: 3, seconds: 0.002)
        ProviderMetrics.ledgerBatch(size: 300, seconds: 0.04)
        ProviderMetrics.ledgerBatch(size: 1, seconds: -.infinity)  // a bad clock reading is not recorded, the size is
        let text = KeyboundMetrics.render()
        #expect(text.contains("# TYPE keybound_ledger_batch_size histogram"))
        #expect(text.contains("# TYPE keybound_ledger_commit_seconds histogram"))
        // The ledger series have no issuer label, and ledger tests running in parallel in this
        // process may add batches too: at least ours must be there.
        #expect(Self.value(text, "keybound_ledger_batch_size_count", [:]) ?? 0 >= sizeCount + 3)
        #expect(Self.value(text, "keybound_ledger_batch_size_bucket", ["le": "4.0"]) ?? 0 >= smallBucket + 2)
        #expect(Self.value(text, "keybound_ledger_commit_seconds_count", [:]) ?? 0 >= commitCount + 2)
        // The commit timer uses the ledger's sub-millisecond buckets, in seconds.
        #expect(Self.value(text, "keybound_ledger_commit_seconds_bucket", ["le": "0.00025"]) != nil)
    }
}

