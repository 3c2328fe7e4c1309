import Keybound

/// The address of the metrics listener (`metrics.listen`, `KEYBOUND_METRICS_LISTEN`,
/// `--metrics-listen`): `HOST:PORT`, `[IPv6]:PORT`, or `off`. The public listener never serves
/// `/metrics`; the metrics name issuers and request rates, which are for operators only.
public struct MetricsListener: Sendable, Equatable {
    /// The address to bind.
    public var host: String
    /// The port to bind (0: any free port, for tests).
    public var port: Int

    /// The default: loopback, port 9464 (the port Prometheus exporters conventionally use).
    public static let `default` = MetricsListener(host: "127.0.0.1", port: 9464)

    /// A listener on `host`:`port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Why a `metrics.listen` value is not valid.
    public struct ParseError: Error, Sendable {
        /// One line, without the value's secrets (it holds none).
        public let message: String
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `off` (`nil`).
    public static func parse(_ text: String) throws(ParseError) -> MetricsListener? {
        if text.isExactly("off") { return nil }
        let usage = "must be HOST:PORT (e.g. 127.0.0.1:9464), [IPv6]:PORT or off"
        guard let colon = text.utf8.lastIndex(of: UInt8(ascii: ":")) else { throw ParseError(message: usage) }
        var host = String(text[..<colon])
        let portText = String(text[text.index(after: colon)...])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.count <= 253,
              host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != "[" && $0 != "]" }) else {
            throw ParseError(message: usage)
        }
        guard let port = Int(portText), (1...65_535).contains(port), portText.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw ParseError(message: "\(usage); the port is 1-65535")
        }
        return MetricsListener(host: host, port: port)
    }

    /// `HOST:PORT` as written in a URL.
    public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
