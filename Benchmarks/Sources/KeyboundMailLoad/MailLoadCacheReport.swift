import Hummingbird
import KeyboundHummingbird
import KeyboundValidation

/// The verified-token caches' hit and miss counts, served as text on `GET /cache` (one line per
/// cached configuration: `NAME HITS MISSES`), so the load script can take the difference over
/// each run, and printed when the server stops.
struct MailLoadCacheReport: Sendable {
    let caches: [(name: String, cache: VerifiedTokenCache)]

    var text: String {
        caches.map { entry in
            let statistics = entry.cache.statistics
            return "\(entry.name) \(statistics.hits) \(statistics.misses)\n"
        }.joined()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/cache") { _, _ in text }
        return router
    }
}
