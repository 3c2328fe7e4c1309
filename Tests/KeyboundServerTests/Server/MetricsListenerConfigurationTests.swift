import Foundation
import Hummingbird
import HummingbirdTesting
import KeyboundServer
import KeyboundStore
import Testing

/// `metrics.listen` and `prune.interval`: defaults, environment, file, refusals; and the public
/// router without `/metrics`.
@Suite("Server: the metrics listener and the pruning interval settings")
struct MetricsListenerConfigurationTests {
    static func load(_ yaml: String? = nil, _ environment: [String: String] = [:]) throws -> ServerConfiguration {
        var path: String?
        if let yaml {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-config-\(UUID().uuidString).yaml")
            try Data(yaml.utf8).write(to: url)
            path = url.path
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        return try ConfigurationFile.load(path: path, environment: environment, base: ServerConfiguration())
    }

    @Test("by default metrics are served on 127.0.0.1:9464, apart from the public listener")
    func defaults() throws {
        let configuration = try Self.load()
        #expect(configuration.metricsListener == MetricsListener(host: "127.0.0.1", port: 9464))
        #expect(configuration.metricsListener?.port != configuration.port)
        #expect(configuration.pruneInterval == .seconds(300))
    }

    @Test("metrics.listen from the file and KEYBOUND_METRICS_LISTEN; off disables the listener")
    func listen() throws {
        #expect(try Self.load("metrics:\n  listen: 0.0.0.0:9100\n").metricsListener == MetricsListener(host: "0.0.0.0", port: 9100))
        #expect(try Self.load(nil, ["KEYBOUND_METRICS_LISTEN": "[::1]:9999"]).metricsListener == MetricsListener(host: "::1", port: 9999))
        #expect(try Self.load("metrics:\n  listen: 0.0.0.0:9100\n", ["KEYBOUND_METRICS_LISTEN": "off"]).metricsListener == nil)
        for bad in ["9464", "localhost", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:+80", ":9464", "127.0.0.1:94 64"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try Self.load(nil, ["KEYBOUND_METRICS_LISTEN": bad]) }
        }
    }

    @Test("prune.interval and KEYBOUND_PRUNE_INTERVAL, within 1 s … 1 d")
    func pruneInterval() throws {
        #expect(try Self.load("prune:\n  interval: 15m\n").pruneInterval == .seconds(900))
        #expect(try Self.load(nil, ["KEYBOUND_PRUNE_INTERVAL": "30s"]).pruneInterval == .seconds(30))
        #expect(throws: ConfigurationError.self) { try Self.load(nil, ["KEYBOUND_PRUNE_INTERVAL": "2d"]) }
    }

    @Test("the public router answers 404 at /metrics; the metrics router serves it")
    func routers() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .notFound)
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
        }
        try await Application(router: KeyboundApplication.metricsRouter()).test(.router) { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == KeyboundMetrics.contentType)
        }
    }
}
