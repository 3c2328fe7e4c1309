import Hummingbird
import Metrics
import Prometheus

/// Keybound's Prometheus metrics: one process-wide registry, the swift-metrics bootstrap onto it,
/// and the `GET /metrics` route.
///
/// Wiring (request metrics come from Hummingbird's `MetricsMiddleware`, which records through the
/// global swift-metrics factory, so `bootstrap()` must run before the first request; the
/// middleware applies only to routes added after it):
///
/// ```swift
/// let router = Router()
/// KeyboundMetrics.registerMetricsRoute(on: router)   // scrapes themselves are not counted
/// KeyboundMetrics.addMetricsMiddleware(to: router)   // bootstraps, then adds MetricsMiddleware
/// router.get("/health") { ... }                      // every route from here on is measured
/// ```
///
/// `ProviderMetrics` records into the same registry through an explicit factory, so its counters
/// work whether or not (or before) the global system is bootstrapped.
public enum KeyboundMetrics {
    /// The process-wide registry every Keybound metric is kept in.
    public static let registry = PrometheusCollectorRegistry()

    /// The Prometheus text exposition format version 0.0.4 content type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Histogram buckets for `keybound_ledger_batch_size` (requests per group commit; the ledger's
    /// default maximum batch is 512).
    static let ledgerBatchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    /// Histogram buckets for `keybound_ledger_commit_seconds` (a SQLite transaction: sub-millisecond
    /// to a few seconds under a slow disk).
    static let ledgerCommitBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5),
    ]

    /// The swift-metrics factory over `registry`. `bootstrap()` installs it globally;
    /// `ProviderMetrics` uses it directly.
    public static let factory: PrometheusMetricsFactory = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[ProviderMetrics.ledgerBatchSizeName] = ledgerBatchBuckets
        factory.durationHistogramBuckets[ProviderMetrics.ledgerCommitSecondsName] = ledgerCommitBuckets
        return factory
    }()

    /// Runs `MetricsSystem.bootstrap` exactly once, whoever calls first (Swift's lazy static
    /// initialisation is thread-safe and runs once per process).
    private static let bootstrapOnce: Void = {
        MetricsSystem.bootstrap(factory)
    }()

    /// Makes `registry` the global swift-metrics backend. Idempotent and thread-safe: any number of
    /// calls from any threads bootstrap once. (swift-metrics still traps if some other code
    /// bootstrapped a different backend first; Keybound bootstraps only through here.)
    public static func bootstrap() {
        _ = bootstrapOnce
    }

    /// Whether the global swift-metrics factory records into `registry` (true after `bootstrap()`).
    public static var isGlobalBackend: Bool {
        (MetricsSystem.factory as? PrometheusMetricsFactory)?.registry === registry
    }

    /// Every registered metric in the Prometheus text format.
    public static func render() -> String {
        registry.emitToString()
    }

    /// Serves the registry as `GET <path>` (default `/metrics`) in the Prometheus text format.
    ///
    /// Register it before `addMetricsMiddleware(to:)` so scrapes are not counted as requests.
    /// The output names issuers and request rates: expose it on an internal listener or behind
    /// the reverse proxy's access control, not to the public.
    public static func registerMetricsRoute<Context: RequestContext>(on router: Router<Context>, path: RouterPath = "/metrics") {
        router.get(path) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: contentType, .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
    }

    /// Bootstraps (see `bootstrap()`) and adds Hummingbird's `MetricsMiddleware`, which records for
    /// every route added to `router` after this call:
    /// - `hb_requests{http_route,http_request_method,http_response_status_code}` (counter),
    /// - `hb_request_errors{http_route,http_request_method,error_type}` (counter, thrown errors),
    /// - `http_server_request_duration{http_route,http_request_method,http_response_status_code}`
    ///   (histogram in seconds: `_bucket`, `_sum`, `_count`),
    /// - `http_server_active_requests{http_request_method}` (gauge).
    ///
    /// `http_route` is the route pattern (e.g. `/{issuer}/token`), or `NotFound`, so its
    /// cardinality is bounded by the router.
    ///
    /// Equivalent by hand: `KeyboundMetrics.bootstrap()` then `router.add(middleware: MetricsMiddleware())`.
    public static func addMetricsMiddleware<Context: RequestContext>(to router: Router<Context>) {
        bootstrap()
        router.add(middleware: MetricsMiddleware<Context>())
    }
}
