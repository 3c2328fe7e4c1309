/// The reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed
/// (`server.trusted_proxies`). Empty by default: then the TCP peer is the client, and no header can
/// change that.
public struct TrustedProxies: Sendable, Equatable {
    /// The address blocks.
    public let ranges: [IPAddressRange]

    /// No trusted proxies.
    public static let none = TrustedProxies(ranges: [])

    /// The blocks `ranges`.
    public init(ranges: [IPAddressRange]) {
        self.ranges = ranges
    }

    /// Parses entries such as `10.0.0.0/8`, `192.0.2.10` or `2001:db8::/32`; returns the first entry
    /// that is not an address or block as the failure.
    public static func parse(_ entries: [String]) -> Result<TrustedProxies, InvalidEntry> {
        var ranges: [IPAddressRange] = []
        for entry in entries {
            let trimmed = entry.trimmingASCIISpaces
            guard let range = IPAddressRange(trimmed) else { return .failure(InvalidEntry(entry: entry)) }
            ranges.append(range)
        }
        return .success(TrustedProxies(ranges: ranges))
    }

    /// An entry of `trusted_proxies` that is neither an address nor an address block.
    public struct InvalidEntry: Error, Sendable {
        /// The entry as written.
        public let entry: String
    }

    /// Whether `address` is one of the proxies.
    public func contains(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// Whether no proxy is trusted.
    public var isEmpty: Bool { ranges.isEmpty }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingASCIISpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
