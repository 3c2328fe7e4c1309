/// Every `KEYBOUND_*` environment variable a `keybound` command reads, so that one no command
/// reads (a typo: `KEYBOUND_PROT`) is reported instead of silently ignored.
///
/// The config file refuses unknown keys; the environment cannot, because scripts around Keybound
/// set variables of their own under the same prefix (the benchmarks' `KEYBOUND_BENCH_*`). An
/// unknown variable is a warning with the closest known name. A test keeps this list equal to the
/// variables the sources read.
package enum EnvironmentVariables {
    /// The variables read outside ``ConfigurationSetting``: the config file's path, the data
    /// directory of the store commands, the KEK, the
    /// database password file, the alert webhook, Keybound Mail's stream credentials, the
    /// debug builds' incident test hook and the PKCS#11 token.
    static let others: Set<String> = [
        ConfigurationFile.pathVariable, "KEYBOUND_DATA", "KEYBOUND_KEK", "KEYBOUND_KEK_FILE", "KEYBOUND_DATABASE_PASSWORD_FILE",
        "KEYBOUND_ALERT_WEBHOOK", "KEYBOUND_MAIL_CREDENTIALS", "KEYBOUND_MAIL_CREDENTIALS_FILE", "KEYBOUND_TEST_KILL_AFTER",
        // The PKCS#11 token (KeyboundPKCS11's `PKCS11Configuration.Variable`).
        "KEYBOUND_PKCS11_MODULE", "KEYBOUND_PKCS11_TOKEN", "KEYBOUND_KEK_PKCS11_LABEL", "KEYBOUND_PKCS11_PIN_FILE", "KEYBOUND_PKCS11_PIN", "KEYBOUND_PKCS11_SESSIONS",
    ]

    /// Every variable some command reads.
    package static var known: Set<String> { others.union(ConfigurationSetting.allCases.map(\.variable)) }

    /// One warning line for each `KEYBOUND_*` variable of `environment` that no command reads, with
    /// the closest known name when one is close enough to be a typo. Values are never shown.
    package static func warnings(for environment: [String: String]) -> [String] {
        let known = known
        return environment.keys.filter { $0.hasPrefix("KEYBOUND_") && !known.contains($0) }.sorted().map { name in
            let closest = known.map { ($0, ConfigurationSetting.editDistance($0, name)) }.min { $0.1 < $1.1 }
            let hint = closest.flatMap { $0.1 <= 3 ? " (did you mean \($0.0)?)" : nil } ?? ""
            let shown = name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "?" }.joined()
            return "keybound: warning: no command reads the environment variable \(shown)\(hint); it is ignored"
        }
    }
}
