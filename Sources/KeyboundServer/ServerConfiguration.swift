import Foundation

/// How `keybound serve` runs. Every field has a default; `docs/configuration.md` lists them and the
/// config-file keys and environment variables that set them.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port to listen on.
    public var port: Int
    /// The public base URL; each issuer's URL is `<publicURL>/<issuer id>`.
    public var publicURL: String
    /// How often the rotation engine runs.
    public var rotationInterval: Duration
    /// Whether an empty store gets the development issuers, users and clients. Off means production mode.
    public var bootstrap: Bool
    /// The admin API's bearer token. `nil` disables the admin API (there is never a default token).
    public var adminToken: String?
    /// Access and ID token lifetime (capped by each issuer's maximum token lifetime).
    public var accessTokenLifetime: TimeInterval
    /// Refresh token lifetime; each rotation issues a new one with a fresh lifetime, within the chain's.
    public var refreshTokenLifetime: TimeInterval
    /// The longest a refresh chain (one sign-in) lives, however often it is rotated.
    public var refreshChainLifetime: TimeInterval
    /// Authorization code lifetime.
    public var authorizationCodeLifetime: TimeInterval
    /// bcrypt cost for new user passwords.
    public var passwordHashCost: UInt8
    /// Whether Prometheus metrics are recorded and served (on ``metricsListener``).
    public var metricsEnabled: Bool
    /// Threads that hash passwords (bcrypt) at sign-in. The pool never has more than one less than
    /// the machine's cores (and at least one), whatever is set here.
    public var passwordHashThreads: Int
    /// Password hashes that may wait for a thread; a sign-in beyond that gets 503 at once.
    public var passwordHashQueue: Int
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client. Empty: the
    /// TCP peer is the client.
    public var trustedProxies: TrustedProxies
    /// The secret the sign-in form's CSRF tokens are derived from, shared by every node behind one
    /// public URL. `nil`: a random secret per process (forms shown by another process are refused).
    public var csrfSecret: [UInt8]?
    /// Caps on open event streams, and the streams' poll of other processes' writes.
    public var streamLimits: StreamLimits

    /// The default ``passwordHashThreads``: one less than the cores, at least one.
    public static var defaultPasswordHashThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }
    /// The default ``passwordHashQueue``.
    public static let defaultPasswordHashQueue = 16
    /// Where `GET /metrics` is served: its own listener, never the public one. `nil` serves it
    /// nowhere. Default `127.0.0.1:9464`.
    public var metricsListener: MetricsListener? = MetricsListener.default
    /// The storage setting from the config file or `KEYBOUND_DATABASE` (`sqlite:DIR` or
    /// `postgres://…`), below `--database` and `--data`; `nil`: not set there.
    public var database: String?
    /// `admin.listen`: where the admin API and the console are served; `nil`: the mode's default
    /// (see ``adminListener``).
    public var adminListen: AdminListener?
    /// `admin.public_url`: the URL browsers reach the admin listener at (behind a proxy, with
    /// https); `nil`: `http://` and its address.
    public var adminPublicURL: String?
    /// How often expired codes, client-assertion ids and dead refresh tokens are pruned.
    public var pruneInterval: Duration = .seconds(300)

    /// Defaults: 127.0.0.1:8080, public URL `http://localhost:8080`, rotation checked every minute,
    /// bootstrap on, no admin token, 10-minute access tokens, 14-day refresh tokens in 90-day chains,
    /// 60-second codes, bcrypt cost 12, metrics on, one hashing thread less than the cores with 16
    /// hashes queued, no trusted proxies, a random CSRF secret, the default ``StreamLimits``.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil,
        rotationInterval: Duration = .seconds(60), bootstrap: Bool = true, adminToken: String? = nil,
        accessTokenLifetime: TimeInterval = 600, refreshTokenLifetime: TimeInterval = 14 * 86_400,
        refreshChainLifetime: TimeInterval = 90 * 86_400, authorizationCodeLifetime: TimeInterval = 60,
        passwordHashCost: UInt8 = 12, metricsEnabled: Bool = true,
        passwordHashThreads: Int = ServerConfiguration.defaultPasswordHashThreads,
        passwordHashQueue: Int = ServerConfiguration.defaultPasswordHashQueue,
        trustedProxies: TrustedProxies = .none, csrfSecret: [UInt8]? = nil,
        streamLimits: StreamLimits = StreamLimits()
    ) {
        self.host = host
        self.port = port
        self.publicURL = (publicURL ?? "http://localhost:\(port)").trimmingTrailingSlashes
        self.rotationInterval = rotationInterval
        self.bootstrap = bootstrap
        self.adminToken = adminToken
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.refreshChainLifetime = refreshChainLifetime
        self.authorizationCodeLifetime = authorizationCodeLifetime
        self.passwordHashCost = passwordHashCost
        self.metricsEnabled = metricsEnabled
        self.passwordHashThreads = passwordHashThreads
        self.passwordHashQueue = passwordHashQueue
        self.trustedProxies = trustedProxies
        self.csrfSecret = csrfSecret
        self.streamLimits = streamLimits
    }

    /// The issuer URL of issuer `id`.
    public func issuerURL(_ id: String) -> String { "\(publicURL)/\(id)" }
}

extension String {
    var trimmingTrailingSlashes: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
