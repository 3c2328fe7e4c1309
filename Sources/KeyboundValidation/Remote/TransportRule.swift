import Foundation

/// Which URLs a remote validator fetches trust from: https, or plain http only on a loopback host
/// (or everywhere with the explicit development switch). Keys fetched over plain http from the
/// network are anyone's keys.
enum TransportRule {
    /// Whether `url` may be fetched.
    static func isAllowed(_ url: URL, insecureHTTP: Bool) -> Bool {
        switch url.scheme?.lowercased() {
        case "https"?: return url.host != nil
        case "http"?: return insecureHTTP || isLoopback(url.host)
        default: return false
        }
    }

    /// Whether `host` is a loopback host: `localhost`, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String?) -> Bool {
        guard let host = host?.lowercased() else { return false }
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `scheme://host:port`, lowercased, with the scheme's default port made explicit.
    static func origin(_ url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
        let port = url.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : -1)
        return "\(scheme)://\(host):\(port)"
    }
}
