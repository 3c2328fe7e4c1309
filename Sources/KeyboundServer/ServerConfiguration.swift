import Foundation

/// How `keybound serve` runs.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port to listen on.
    public var port: Int
    /// The public base URL; each issuer's URL is `<publicURL>/<issuer id>`.
    public var publicURL: String
    /// How often the rotation engine runs.
    public var rotationInterval: Duration
    /// Whether an empty store gets the development issuers (`consumers` and `contoso`).
    public var bootstrap: Bool

    /// Defaults: 127.0.0.1:8080, public URL `http://localhost:8080`, rotation checked every minute, bootstrap on.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil,
        rotationInterval: Duration = .seconds(60), bootstrap: Bool = true
    ) {
        self.host = host
        self.port = port
        self.publicURL = (publicURL ?? "http://localhost:\(port)").trimmingTrailingSlashes
        self.rotationInterval = rotationInterval
        self.bootstrap = bootstrap
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
