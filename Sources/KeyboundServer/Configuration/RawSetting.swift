import Foundation
import KeyboundStore
import Yams

/// Where a value came from, for messages.
struct SettingSource: Sendable {
    /// The YAML key (`server.port`) or environment variable (`KEYBOUND_PORT`).
    let name: String
    /// `file:line` for a value from the config file.
    let location: String?

    /// An error about this value: `file:line: name message`.
    func error(_ message: String) -> ConfigurationError {
        ConfigurationError(subject: name, (location.map { "\($0): " } ?? "") + "\(name) \(message)")
    }
}

/// One setting's value as written in the file or the environment, before it is checked.
struct RawSetting {
    enum Value {
        case yaml(Node)
        case environment(String)
    }

    let setting: ConfigurationSetting
    let value: Value
    let source: SettingSource

    /// A string; from the file only a YAML string.
    func string() throws(ConfigurationError) -> String {
        switch value {
        case .environment(let text):
            return text
        case .yaml(let node):
            if node.resolvedTagName == .str, let scalar = node.scalar { return scalar.string }
            throw mismatch(node, expected: "a string", hint: node.scalar == nil ? "" : " (put it in quotes)")
        }
    }

    /// A whole number; from the file only a YAML integer.
    func integer() throws(ConfigurationError) -> Int {
        switch value {
        case .environment(let text):
            guard let number = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw source.error("must be a whole number, got \(shown(text))")
            }
            return number
        case .yaml(let node):
            if node.resolvedTagName == .int {
                guard let number = node.int else { throw source.error("is not a usable whole number") }
                return number
            }
            throw mismatch(node, expected: "a whole number", hint: node.resolvedTagName == .str ? " (remove the quotes)" : "")
        }
    }

    /// A list of strings: from the file a YAML list of strings (or one string of comma-separated
    /// entries), from the environment comma-separated entries. Empty entries are dropped.
    func stringList() throws(ConfigurationError) -> [String] {
        func entries(_ text: String) -> [String] {
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        switch value {
        case .environment(let text):
            return entries(text)
        case .yaml(let node):
            if node.resolvedTagName == .str, let scalar = node.scalar { return entries(scalar.string) }
            guard case .sequence(let items) = node else {
                throw mismatch(node, expected: "a list of strings", hint: "")
            }
            var result: [String] = []
            for item in items {
                guard item.resolvedTagName == .str, let scalar = item.scalar else {
                    throw mismatch(item, expected: "a list of strings", hint: " (put each entry in quotes)")
                }
                result.append(scalar.string.trimmingCharacters(in: .whitespaces))
            }
            return result.filter { !$0.isEmpty }
        }
    }

    /// A boolean: YAML true/false (or yes/no, on/off); from the environment true/false, yes/no, on/off or 1/0.
    func bool() throws(ConfigurationError) -> Bool {
        switch value {
        case .environment(let text):
            switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw source.error("must be true or false, got \(shown(text))")
            }
        case .yaml(let node):
            if node.resolvedTagName == .bool, let flag = node.bool { return flag }
            throw mismatch(node, expected: "true or false", hint: node.resolvedTagName == .str ? " (remove the quotes)" : "")
        }
    }

    /// A duration in whole seconds: a number of seconds, or a string like `90s`, `10m`, `1h` or `14d`.
    /// The range is checked by the caller.
    func seconds() throws(ConfigurationError) -> Int {
        let text: String
        switch value {
        case .environment(let variable):
            text = variable.trimmingCharacters(in: .whitespacesAndNewlines)
        case .yaml(let node):
            if node.resolvedTagName == .int {
                guard let number = node.int else { throw source.error("is not a usable duration") }
                return number
            }
            guard node.resolvedTagName == .str, let scalar = node.scalar else {
                throw mismatch(node, expected: "a duration such as 600, \"90s\", \"10m\", \"1h\" or \"14d\"", hint: "")
            }
            text = scalar.string
        }
        guard let seconds = DurationText.wholeSeconds(text) else {
            throw source.error("must be a duration: whole seconds, or a whole number with s, m, h or d such as 90s, 10m, 1h or 14d; got \(shown(text))")
        }
        return seconds
    }

    /// `text` quoted for a message, or a placeholder for a secret.
    func shown(_ text: String) -> String {
        setting.isSecret ? "a value that is not shown" : ConfigurationError.quoted(text)
    }

    /// "must be X, got Y" for a YAML node of the wrong kind; a secret's value is never quoted.
    private func mismatch(_ node: Node, expected: String, hint: String) -> ConfigurationError {
        let found: String
        switch node {
        case .mapping: found = "a mapping"
        case .sequence: found = "a list"
        case .alias: found = "an alias"
        case .scalar(let scalar):
            let kind: String
            switch node.resolvedTagName {
            case .str: kind = "the string"
            case .int: kind = "the whole number"
            case .float: kind = "the number"
            case .bool: kind = "the boolean"
            case .timestamp: kind = "the timestamp"
            case .null: return source.error("has no value; give it a value or remove the key")
            default: kind = "the tagged value"
            }
            found = setting.isSecret ? kind.replacingOccurrences(of: "the ", with: "a ") : "\(kind) \(ConfigurationError.quoted(scalar.string))"
        }
        return source.error("must be \(expected), got \(found)\(hint)")
    }
}

extension DurationText {
    /// `seconds` as text for a message: `90s`, `10m`, `14d`.
    static func shown(_ seconds: Int) -> String { text(TimeInterval(seconds)) }
}

extension Node {
    /// The node's tag after resolution: `.str` for a quoted or plain string, `.int`, `.bool`, `.null`, ….
    var resolvedTagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
