/// One configurable setting: its nested YAML key and its environment variable.
enum ConfigurationSetting: String, CaseIterable, Sendable {
    case host = "server.host"
    case port = "server.port"
    case publicURL = "server.public_url"
    case rotationInterval = "rotation.interval"
    case bootstrap = "bootstrap"
    case adminToken = "admin.token"
    case adminTokenFile = "admin.token_file"
    case adminListen = "admin.listen"
    case adminPublicURL = "admin.public_url"
    case accessTokenLifetime = "tokens.access_lifetime"
    case refreshTokenLifetime = "tokens.refresh_lifetime"
    case refreshChainLifetime = "tokens.refresh_chain_lifetime"
    case authorizationCodeLifetime = "tokens.code_lifetime"
    case passwordHashCost = "passwords.bcrypt_cost"
    case metricsEnabled = "metrics.enabled"
    case passwordHashThreads = "passwords.hash_threads"
    case passwordHashQueue = "passwords.hash_queue"
    case trustedProxies = "server.trusted_proxies"
    case csrfSecretFile = "signin.csrf_secret_file"
    case metricsListen = "metrics.listen"
    case pruneInterval = "prune.interval"
    case streamsAnonymousPerAddress = "streams.anonymous_per_address"
    case streamsAnonymousTotal = "streams.anonymous_total"
    case streamsAuthenticatedTotal = "streams.authenticated_total"
    case streamsAuthenticatedPerClient = "streams.authenticated_per_client"
    case streamsPollIntervalMilliseconds = "streams.poll_interval_ms"
    case database = "database"

    /// The dotted YAML key, e.g. `server.port`.
    var key: String { rawValue }

    /// The environment variable, e.g. `KEYBOUND_PORT`.
    var variable: String {
        switch self {
        case .host: "KEYBOUND_HOST"
        case .port: "KEYBOUND_PORT"
        case .publicURL: "KEYBOUND_PUBLIC_URL"
        case .rotationInterval: "KEYBOUND_ROTATION_INTERVAL"
        case .bootstrap: "KEYBOUND_BOOTSTRAP"
        case .adminToken: "KEYBOUND_ADMIN_TOKEN"
        case .adminTokenFile: "KEYBOUND_ADMIN_TOKEN_FILE"
        case .adminListen: "KEYBOUND_ADMIN_LISTEN"
        case .adminPublicURL: "KEYBOUND_ADMIN_PUBLIC_URL"
        case .accessTokenLifetime: "KEYBOUND_ACCESS_TOKEN_LIFETIME"
        case .refreshTokenLifetime: "KEYBOUND_REFRESH_TOKEN_LIFETIME"
        case .refreshChainLifetime: "KEYBOUND_REFRESH_CHAIN_LIFETIME"
        case .authorizationCodeLifetime: "KEYBOUND_CODE_LIFETIME"
        case .passwordHashCost: "KEYBOUND_BCRYPT_COST"
        case .metricsEnabled: "KEYBOUND_METRICS"
        case .passwordHashThreads: "KEYBOUND_PASSWORD_HASH_THREADS"
        case .passwordHashQueue: "KEYBOUND_PASSWORD_HASH_QUEUE"
        case .trustedProxies: "KEYBOUND_TRUSTED_PROXIES"
        case .csrfSecretFile: "KEYBOUND_CSRF_SECRET_FILE"
        case .metricsListen: "KEYBOUND_METRICS_LISTEN"
        case .pruneInterval: "KEYBOUND_PRUNE_INTERVAL"
        case .streamsAnonymousPerAddress: "KEYBOUND_STREAMS_ANONYMOUS_PER_ADDRESS"
        case .streamsAnonymousTotal: "KEYBOUND_STREAMS_ANONYMOUS_TOTAL"
        case .streamsAuthenticatedTotal: "KEYBOUND_STREAMS_AUTHENTICATED_TOTAL"
        case .streamsAuthenticatedPerClient: "KEYBOUND_STREAMS_AUTHENTICATED_PER_CLIENT"
        case .streamsPollIntervalMilliseconds: "KEYBOUND_STREAMS_POLL_INTERVAL_MS"
        case .database: "KEYBOUND_DATABASE"
        }
    }

    /// Whether the value is a secret that no message may quote.
    var isSecret: Bool { self == .adminToken }

    /// The section (`server`) and leaf (`port`) of the key; a top-level key has no section.
    var path: (section: String?, leaf: String) {
        guard let dot = rawValue.firstIndex(of: ".") else { return (nil, rawValue) }
        return (String(rawValue[..<dot]), String(rawValue[rawValue.index(after: dot)...]))
    }

    /// The sections, each with its settings by leaf name.
    static let sections: [String: [String: ConfigurationSetting]] = {
        var sections: [String: [String: ConfigurationSetting]] = [:]
        for setting in allCases {
            if let section = setting.path.section { sections[section, default: [:]][setting.path.leaf] = setting }
        }
        return sections
    }()

    /// The settings that sit at the top level, by name.
    static let topLevel: [String: ConfigurationSetting] = {
        Dictionary(uniqueKeysWithValues: allCases.filter { $0.path.section == nil }.map { ($0.rawValue, $0) })
    }()

    /// Every name that may appear in a file: sections, their dotted keys, top-level settings.
    static var knownNames: Set<String> {
        Set(sections.keys).union(allCases.map(\.rawValue)).union(allCases.map(\.path.leaf))
    }

    /// The closest known key to a mistyped `key` (dotted), if one is close enough to be a likely typo,
    /// or the full key of a setting whose leaf name was written at the wrong level.
    static func suggestion(for key: String) -> String? {
        let candidates = allCases.map(\.rawValue) + sections.keys.sorted()
        if let exact = allCases.first(where: { $0.path.leaf == key.split(separator: ".").last.map(String.init) && $0.rawValue != key }) {
            return exact.rawValue
        }
        let scored = candidates.map { ($0, editDistance($0, key)) }.min { $0.1 < $1.1 }
        let allowed = key.count <= 4 ? 1 : key.count <= 8 ? 2 : 3
        guard let (best, distance) = scored, distance <= allowed else { return nil }
        return best
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
