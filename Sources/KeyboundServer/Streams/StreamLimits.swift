/// Bounds on the provider's open event streams (`/<issuer>/key-events`, `/<issuer>/token-events`).
///
/// Anonymous key-event streams are capped per client address and overall; authenticated streams
/// (a server client's credentials) have their own pool, which anonymous streams cannot take, capped
/// overall and per client. A stream over a cap is answered 503 `temporarily_unavailable` with
/// `Retry-After`. See docs/provider.md and docs/configuration.md.
public struct StreamLimits: Sendable, Equatable {
    /// Anonymous streams open at once from one client address.
    public var anonymousPerAddress: Int
    /// Anonymous streams open at once in total.
    public var anonymousTotal: Int
    /// Authenticated streams open at once in total (reserved: anonymous streams never use them).
    public var authenticatedTotal: Int
    /// Authenticated streams open at once per client (of one issuer).
    public var authenticatedPerClient: Int
    /// The `Retry-After` (seconds) of a refused stream.
    public var retryAfterSeconds: Int
    /// How often one poller per followed issuer reads the stores for other processes' writes
    /// (this process's writes wake the streams at once, without a poll).
    public var pollInterval: Duration
    /// A keep-alive comment is sent after this much silence, so proxies keep the connection open.
    /// A client that went away is noticed at the second write after it left, so its slot is freed
    /// within two intervals at the latest.
    public var keepAliveInterval: Duration

    /// The accepted range of each count.
    public static let countRange = 1...100_000

    /// Defaults: 8 anonymous streams per address, 256 in total; 512 authenticated, 32 per client;
    /// `Retry-After: 30`; a 100 ms poll; a keep-alive after 15 s of silence.
    public init(anonymousPerAddress: Int = 8, anonymousTotal: Int = 256, authenticatedTotal: Int = 512,
                authenticatedPerClient: Int = 32, retryAfterSeconds: Int = 30, pollInterval: Duration = .milliseconds(100),
                keepAliveInterval: Duration = .seconds(15)) {
        self.anonymousPerAddress = anonymousPerAddress
        self.anonymousTotal = anonymousTotal
        self.authenticatedTotal = authenticatedTotal
        self.authenticatedPerClient = authenticatedPerClient
        self.retryAfterSeconds = retryAfterSeconds
        self.pollInterval = pollInterval
        self.keepAliveInterval = keepAliveInterval
    }
}
