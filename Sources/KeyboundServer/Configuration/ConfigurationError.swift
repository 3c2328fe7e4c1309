import Foundation

/// A configuration problem: one line naming the key, environment variable or file and what is wrong.
/// Never holds the admin token's value.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What the error is about: a YAML key (`server.port`), an environment variable (`KEYBOUND_PORT`),
    /// or the path of a file that cannot be used.
    public let subject: String
    /// The message, e.g. `keybound.yaml:3: unknown key 'server.prot' (did you mean 'server.port'?)`.
    public let description: String

    init(subject: String, _ description: String) {
        self.subject = subject
        self.description = description
    }

    /// The same error with every occurrence of `secrets` blanked out: a second guard behind the rule
    /// that no message quotes an admin token.
    func redacting(_ secrets: [String]) -> ConfigurationError {
        var text = description
        var subject = subject
        for secret in secrets where secret.count >= 8 {
            text = text.replacingOccurrences(of: secret, with: "<redacted>")
            subject = subject.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return ConfigurationError(subject: subject, text)
    }
}

extension ConfigurationError {
    /// `value` for a message: quoted, control characters replaced, at most 80 characters.
    static func quoted(_ value: String) -> String {
        var text = String(String.UnicodeScalarView(value.unicodeScalars.map {
            $0.properties.generalCategory == .control ? "?" : $0
        }))
        if text.count > 80 { text = String(text.prefix(79)) + "…" }
        return "'\(text)'"
    }
}
