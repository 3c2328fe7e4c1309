import Hummingbird
import Keybound

/// The health routes, for supervisors and load balancers (never cached):
///
/// | Route | Answer |
/// |---|---|
/// | `GET /health/live` | 200 `{"status":"ok"}` while the process serves HTTP |
/// | `GET /health/ready` | 200 `{"status":"ready","checks":{…}}` when every store answers, else 503 `{"status":"unavailable","checks":{…}}` |
/// | `GET /health` | as `/health/live` (kept for existing probes) |
///
/// Each check is `"ok"` or `"failing"`; the report names no error text, no path and no host.
struct HealthEndpoints: Sendable {
    let readiness: Readiness

    func register<Context: RequestContext>(on router: Router<Context>) {
        let live: @Sendable (Request, Context) async throws -> Response = { _, _ in
            JSONResponse.make(JSONObject(["status": .string("ok")]), headers: [.cacheControl: "no-store"])
        }
        router.get("/health", use: live)
        router.get("/health/live", use: live)
        router.get("/health/ready") { [readiness] _, _ in
            let report = await readiness.report()
            var checks = JSONObject()
            for check in report.checks { checks[check.name] = .string(check.passed ? "ok" : "failing") }
            return JSONResponse.make(JSONObject(["status": .string(report.isReady ? "ready" : "unavailable"), "checks": .object(checks)]),
                                     status: report.isReady ? .ok : .serviceUnavailable, headers: [.cacheControl: "no-store"])
        }
    }
}
