#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as its bytes (4 or 16). An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
/// what a dual-stack listener reports for an IPv4 peer) is the IPv4 address.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    private init(bytes: [UInt8]) {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            self.bytes = Array(bytes[12...])
        } else {
            self.bytes = bytes
        }
    }

    /// Parses a literal address: dotted IPv4 (`192.0.2.7`) or IPv6 (`2001:db8::7`), without brackets,
    /// port, zone or surrounding space. `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.utf8.count <= 45, !text.contains("%") else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }

    /// The first `length` bits of the address, the rest zero.
    func masked(to length: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let keep = min(8, max(0, length - index * 8))
            result[index] &= keep == 8 ? 0xFF : ~(0xFF >> keep)
        }
        return result
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(cString: buffer)
    }
}

/// An address block: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`), or a single
/// address (`/32` or `/128`).
public struct IPAddressRange: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block.
    public let network: IPAddress
    /// How many leading bits must match.
    public let prefixLength: Int

    /// Parses `address` or `address/prefix`. `nil` for a malformed address, a prefix out of range, or
    /// host bits set beyond the prefix (`10.0.0.1/8` is refused: it is probably a typo).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                  let given = Int(parts[1]) else { return nil }
            // An IPv4-mapped IPv6 block (::ffff:10.0.0.0/104) is written for the IPv4 address it maps.
            length = (address.isIPv4 && parts[0].contains(":")) ? given - 96 : given
            guard (0...bits).contains(length) else { return nil }
        }
        guard address.masked(to: length) == address.bytes else { return nil }
        network = address
        prefixLength = length
    }

    /// Whether `address` lies in the block (an IPv4 address never lies in an IPv6 block, and the other way round).
    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && address.masked(to: prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
