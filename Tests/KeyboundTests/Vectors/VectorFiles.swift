import Foundation
import Testing
import Keybound

/// Locates the public conformance vectors, `Tests/Test Vectors/` in the repository, found from this
/// file's `#filePath` as swift-crypto finds its Wycheproof files (the repository needs nothing beside it).
///
/// Every accessor throws a descriptive error when the folder or a file is missing, so a test that
/// reads vectors fails loudly instead of passing on nothing. Nothing here ever skips a test.
enum VectorFiles {
    /// A missing vectors folder or file.
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// The path of this source file, used to find the repository root.
    private static let sourceFile = #filePath

    /// The repository root: the nearest ancestor of this file that holds `Package.swift`.
    static func repositoryRoot() throws -> URL {
        var directory = URL(fileURLWithPath: sourceFile).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        throw Missing(description: "no Package.swift above \(sourceFile); cannot locate the repository root")
    }

    /// The vectors folder. Throws (failing the calling test) if it does not exist.
    static func directory() throws -> URL {
        let url = try repositoryRoot().appendingPathComponent("Tests/Test Vectors", isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Missing(description: """
                conformance vectors not found at \(url.path): they are part of the repository \
                (tests never skip missing vectors)
                """)
        }
        return url
    }

    /// The URL of `relativePath` inside the vectors folder; throws if the file does not exist.
    static func url(_ relativePath: String) throws -> URL {
        let url = try directory().appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "vector file \(relativePath) is missing from \(url.deletingLastPathComponent().path)")
        }
        return url
    }

    /// The bytes of `relativePath`.
    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// The file names (not hidden) directly inside `folder`, sorted; throws if the folder is missing or empty.
    static func fileNames(in folder: String) throws -> [String] {
        let url = try directory().appendingPathComponent(folder, isDirectory: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
        guard !names.isEmpty else { throw Missing(description: "vector folder \(folder) is empty") }
        return names
    }

    /// The top-level JSON object of `relativePath`, read with Foundation (not with the library under test).
    static func jsonObject(_ relativePath: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data(relativePath)) as? [String: Any] else {
            throw Missing(description: "\(relativePath) is not a JSON object")
        }
        return object
    }
}

/// Encodings the vector tests need, written independently of the library under test.
enum VectorEncoding {
    /// Bytes from lowercase or uppercase hex, or `nil`.
    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Unpadded base64url, via Foundation's base64.
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Bytes of (padded or unpadded) base64url text, via Foundation's base64.
    static func fromBase64URL(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }

    /// Compact JSON text of a Foundation JSON value.
    static func jsonText(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension Result where Failure == TokenRejection {
    /// The rejection code, or `nil` if verification succeeded.
    var vectorRejectionCode: RejectionCode? {
        if case .failure(let rejection) = self { return rejection.code }
        return nil
    }
}
