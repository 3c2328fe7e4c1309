import Foundation
import Keybound
import KeyboundStore

/// JSON and table renderings of store records. Private key material is never among them.
enum StoreOutput {
    static func time(_ date: Date?) -> JSONValue { StoreJSON.time(date) }
    static func json(_ issuer: IssuerRecord) -> JSONObject { StoreJSON.json(issuer) }
    static func json(_ key: KeyRecord, now: Date) -> JSONObject { StoreJSON.json(key, now: now) }
    static func json(_ transition: KeyTransition) -> JSONValue { StoreJSON.json(transition) }

    /// A plain text table with padded columns.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
