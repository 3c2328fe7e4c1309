import Foundation
import Keybound

/// Where the admin API and the console are served (`admin.listen`).
///
/// - ``publicListener``: on the public listener, beside the issuers (the development default).
/// - ``own(host:port:)``: on a listener of their own, and never on the public one (`/admin` and
///   `/console` are 404 there). Production mode's default is loopback, `127.0.0.1:9465`: an
///   operator reaches the console through an SSH tunnel or an internal proxy unless they choose
///   an address.
public enum AdminListener: Sendable, Equatable {
    case publicListener
    case own(host: String, port: Int)

    /// Production mode's default: loopback, port 9465 (beside the metrics listener's 9464).
    package static let productionDefault = AdminListener.own(host: "127.0.0.1", port: 9465)

    /// Parses `public`, `HOST:PORT` or `[IPv6]:PORT`.
    public static func parse(_ text: String) throws(MetricsListener.ParseError) -> AdminListener {
        if text.isExactly("public") { return .publicListener }
        let usage = "must be public, HOST:PORT (e.g. 127.0.0.1:9465) or [IPv6]:PORT"
        guard !text.isExactly("off") else { throw MetricsListener.ParseError(message: "\(usage); to turn the admin API off, set no admin token") }
        let parsed: MetricsListener?
        do { parsed = try MetricsListener.parse(text) } catch { throw MetricsListener.ParseError(message: usage + "; " + error.message) }
        guard let parsed else { throw MetricsListener.ParseError(message: usage) }
        return .own(host: parsed.host, port: parsed.port)
    }

    /// `HOST:PORT` as written in a URL, for a listener of its own.
    public var authority: String? {
        guard case .own(let host, let port) = self else { return nil }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension ServerConfiguration {
    /// Where the admin API and the console are served: ``adminListen`` if set, else the public
    /// listener in development (bootstrap on) and ``AdminListener/productionDefault`` in production.
    public var adminListener: AdminListener {
        adminListen ?? (bootstrap ? .publicListener : .productionDefault)
    }

    /// The base URL browsers use for the console (its cookies, its sign-in callback): the public
    /// URL when it shares the public listener; otherwise ``adminPublicURL``, or `http://` and the
    /// admin listener's address.
    public var consoleBaseURL: String {
        guard let authority = adminListener.authority else { return publicURL }
        return adminPublicURL ?? "http://\(authority)"
    }
}
