import Foundation
import NIOHTTP1

extension HTTPHeaders {
    /// The headers as a dictionary with lowercased names; repeated headers are joined with ", ".
    var lowercasedDictionary: [String: String] {
        var result: [String: String] = [:]
        for (name, value) in self {
            let key = name.lowercased()
            result[key] = result[key].map { $0 + ", " + value } ?? value
        }
        return result
    }

    /// The `Content-Length`, if present and a valid number.
    var contentLength: Int? {
        first(name: "content-length").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
}
