import Foundation
import Testing

/// The kernel's flags for this process's memory mappings (`/proc/self/smaps`): `dd` for pages left
/// out of core dumps, `lo` for pages locked into RAM. Shared with the end-to-end tests (a link in
/// their Shared folder).
enum MemoryMappingFlags {
    /// The `VmFlags` of the mapping that contains `address`.
    static func of(_ address: UInt) throws -> [String] {
        // procfs reports a size of 0: read to the end rather than by the size.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        try #require(!smaps.isEmpty)
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
               let low = UInt(line[..<dash], radix: 16), let high = UInt(line[line.index(after: dash)..<space], radix: 16) {
                inMapping = (low..<high).contains(address)
            } else if inMapping, line.hasPrefix("VmFlags:") {
                return line.dropFirst("VmFlags:".count).split(separator: " ").map(String.init)
            }
        }
        return []
    }
}
