import Hummingbird

/// Who is signing in, as an address: the TCP peer, or, when the peer is a trusted proxy, the
/// nearest address in its forwarding header that is not itself a trusted proxy.
///
/// The header chain is read from the right (the entry the trusted peer appended) to the left,
/// skipping trusted proxies: entries further left were written by hosts Keybound does not trust
/// and could be anything. An entry that is not an address (`unknown`, an obfuscated `_name`, junk)
/// stops the walk, and the hop that reported it counts as the client. `Forwarded` (RFC 7239) is
/// read when present, otherwise `X-Forwarded-For`; a trusted proxy must therefore overwrite or
/// remove the one it does not write (docs/configuration.md).
struct ClientAddressResolver: Sendable {
    let trustedProxies: TrustedProxies

    /// The most header entries looked at, from the right.
    static let maximumHops = 32

    /// The client's address, or `nil` without a peer (in-process tests).
    func clientAddress(peer: IPAddress?, headers: HTTPFields) -> IPAddress? {
        guard let peer else { return nil }
        guard trustedProxies.contains(peer) else { return peer }
        let chain: [Substring]
        let forwarded = headers[values: .forwarded]
        if !forwarded.isEmpty {
            chain = forwarded.flatMap { ForwardedHeader.forValues(in: $0) }
        } else {
            chain = headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }
        }
        var client = peer
        for entry in chain.reversed().prefix(Self.maximumHops) {
            guard let address = ForwardedHeader.address(entry) else { return client }
            client = address
            if !trustedProxies.contains(address) { return address }
        }
        return client
    }
}

/// Parsing of `Forwarded` (RFC 7239) and `X-Forwarded-For` entries.
enum ForwardedHeader {
    /// The `for=` value of each element of one `Forwarded` field value, in order; an element without
    /// `for` gives an empty value (which is not an address).
    static func forValues(in value: String) -> [Substring] {
        var result: [Substring] = []
        for element in split(Substring(value), on: ",") {
            var found: Substring = ""
            for pair in split(element, on: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingASCIISpaces.lowercased() == "for" else { continue }
                found = Substring(parts[1].trimmingASCIISpaces)
            }
            result.append(found)
        }
        return result
    }

    /// Splits on `separator` outside double quotes.
    static func split(_ text: Substring, on separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex, index = text.startIndex, quoted = false, escaped = false
        while index < text.endIndex {
            let character = text[index]
            if escaped { escaped = false } else if quoted && character == "\\" { escaped = true }
            else if character == "\"" { quoted.toggle() }
            else if character == separator && !quoted {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start..<text.endIndex])
        return parts
    }

    /// The address in one entry: `192.0.2.7`, `192.0.2.7:4711`, `2001:db8::7`, `[2001:db8::7]`,
    /// `[2001:db8::7]:4711`, optionally in double quotes. `nil` for anything else.
    static func address(_ entry: Substring) -> IPAddress? {
        var text = Substring(entry.trimmingASCIISpaces)
        if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || isPort(rest) else { return nil }
            return IPAddress(text[text.index(after: text.startIndex)..<close])
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard isPort(text[colon...]) else { return nil }
            return IPAddress(text[..<colon]).flatMap { $0.isIPv4 ? $0 : nil }
        }
        return IPAddress(text)
    }

    /// `:` and 1–5 digits.
    private static func isPort(_ text: Substring) -> Bool {
        text.first == ":" && (2...6).contains(text.count) && text.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }
}
