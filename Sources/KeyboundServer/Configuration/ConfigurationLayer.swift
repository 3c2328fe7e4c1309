import Foundation
import Keybound
import KeyboundStore

/// The settings one source (the config file, or the environment) sets, each checked on its own.
struct ConfigurationLayer {
    var host: String?
    var port: Int?
    var publicURL: String?
    var rotationInterval: Int?
    var bootstrap: Bool?
    var adminToken: String?
    var accessTokenLifetime: Int?
    var refreshTokenLifetime: Int?
    var refreshChainLifetime: Int?
    var authorizationCodeLifetime: Int?
    var passwordHashCost: Int?
    var metricsEnabled: Bool?
    var passwordHashThreads: Int?
    var passwordHashQueue: Int?
    var trustedProxies: TrustedProxies?
    var csrfSecret: [UInt8]?
    /// `metrics.listen`: the metrics listener's address, or `nil` inside for `off`.
    var metricsListen: MetricsListener??
    /// `admin.listen` and `admin.public_url`.
    var adminListen: AdminListener?
    var adminPublicURL: String?
    /// The storage setting (``DatabaseLocation``), checked; a relative `sqlite:` path from a file is
    /// made relative to the file's directory.
    var database: String?
    var pruneInterval: Int?
    var streamsAnonymousPerAddress: Int?
    var streamsAnonymousTotal: Int?
    var streamsAuthenticatedTotal: Int?
    var streamsAuthenticatedPerClient: Int?
    var streamsPollIntervalMilliseconds: Int?
    /// Where each set value came from; `adminToken`'s is `admin.token_file`'s when read from a file.
    var sources: [ConfigurationSetting: SettingSource] = [:]

    /// Limits, in seconds.
    static let rotationIntervalRange = 1...3_600
    static let accessTokenLifetimeRange = 1...86_400
    static let authorizationCodeLifetimeRange = 1...600
    static let refreshLifetimeRange = 1...(3_650 * 86_400)
    static let passwordHashCostRange = 10...16
    static let pruneIntervalRange = 1...86_400
    /// Milliseconds.
    static let streamsPollIntervalRange = 10...3_600_000
    static let minimumAdminTokenLength = 32
    static let maximumAdminTokenLength = 4_096
    static let maximumTokenFileSize = 64 * 1_024
    static let passwordHashThreadsRange = 1...256
    static let passwordHashQueueRange = 0...10_000
    static let maximumTrustedProxies = 1_000

    /// A layer that sets nothing.
    init() {}

    /// Builds a layer from `values` (each setting at most once). A relative `admin.token_file` is
    /// resolved against `directory` (the config file's), or the working directory when `nil`.
    /// Every admin token met is appended to `secrets`.
    init(_ values: [RawSetting], directory: String?, secrets: inout [String]) throws(ConfigurationError) {
        var token: (String, SettingSource)?
        var tokenFile: (String, SettingSource)?
        // Known before any check, so that no message can quote the token, whatever key it was pasted under.
        for raw in values where raw.setting == .adminToken {
            if let text = try? raw.string() { secrets.append(text) }
        }
        for raw in values {
            let source = raw.source
            switch raw.setting {
            case .host: host = try Self.host(raw)
            case .port:
                let number = try raw.integer()
                guard (1...65_535).contains(number) else { throw source.error("must be between 1 and 65535, got \(number)") }
                port = number
            case .publicURL: publicURL = try Self.publicURL(raw)
            case .rotationInterval: rotationInterval = try Self.duration(raw, Self.rotationIntervalRange)
            case .bootstrap: bootstrap = try raw.bool()
            case .adminToken:
                let text = try raw.string()
                try Self.checkAdminToken(text, source: source, origin: "")
                token = (text, source)
            case .adminTokenFile:
                let path = try raw.string()
                guard !path.isEmpty else { throw source.error("is empty; give the path of a file holding the token") }
                tokenFile = (path, source)
            case .accessTokenLifetime: accessTokenLifetime = try Self.duration(raw, Self.accessTokenLifetimeRange)
            case .refreshTokenLifetime: refreshTokenLifetime = try Self.duration(raw, Self.refreshLifetimeRange)
            case .refreshChainLifetime: refreshChainLifetime = try Self.duration(raw, Self.refreshLifetimeRange)
            case .authorizationCodeLifetime: authorizationCodeLifetime = try Self.duration(raw, Self.authorizationCodeLifetimeRange)
            case .passwordHashCost:
                let cost = try raw.integer()
                guard Self.passwordHashCostRange.contains(cost) else { throw source.error("must be between 10 and 16, got \(cost)") }
                passwordHashCost = cost
            case .metricsEnabled: metricsEnabled = try raw.bool()
            case .passwordHashThreads: passwordHashThreads = try Self.integer(raw, Self.passwordHashThreadsRange)
            case .passwordHashQueue: passwordHashQueue = try Self.integer(raw, Self.passwordHashQueueRange)
            case .trustedProxies: trustedProxies = try Self.trustedProxies(raw)
            case .csrfSecretFile:
                let path = try raw.string()
                guard !path.isEmpty else { throw source.error("is empty; give the path of a file holding the secret") }
                csrfSecret = try CSRFSecretFile.read(path, directory: directory, source: source)
            case .adminListen:
                let text = try raw.string()
                do { adminListen = try AdminListener.parse(text) } catch { throw source.error(error.message) }
            case .adminPublicURL: adminPublicURL = try Self.publicURL(raw).trimmingTrailingSlashes
            case .metricsListen:
                let text = try raw.string()
                do { metricsListen = .some(try MetricsListener.parse(text)) } catch { throw source.error(error.message) }
            case .database:
                let text = try raw.string()
                do { _ = try DatabaseLocation(parsing: text) } catch { throw source.error(error.message) }
                if let directory, text.hasPrefix("sqlite:"), !text.dropFirst("sqlite:".count).hasPrefix("/") {
                    database = "sqlite:" + URL(fileURLWithPath: directory).appendingPathComponent(String(text.dropFirst("sqlite:".count))).path
                } else {
                    database = text
                }
            case .pruneInterval: pruneInterval = try Self.duration(raw, Self.pruneIntervalRange)
            case .streamsAnonymousPerAddress: streamsAnonymousPerAddress = try Self.count(raw)
            case .streamsAnonymousTotal: streamsAnonymousTotal = try Self.count(raw)
            case .streamsAuthenticatedTotal: streamsAuthenticatedTotal = try Self.count(raw)
            case .streamsAuthenticatedPerClient: streamsAuthenticatedPerClient = try Self.count(raw)
            case .streamsPollIntervalMilliseconds: streamsPollIntervalMilliseconds = try Self.integer(raw, Self.streamsPollIntervalRange)
            }
            sources[raw.setting] = source
        }
        sources[.adminTokenFile] = nil
        if let (_, tokenSource) = token, let (_, fileSource) = tokenFile {
            throw ConfigurationError(
                subject: tokenSource.name,
                (tokenSource.location.map { "\($0): " } ?? "") + "\(tokenSource.name) and \(fileSource.name) are both set; set only one")
        }
        if let (text, source) = token {
            adminToken = text
            sources[.adminToken] = source
        }
        if let (path, source) = tokenFile {
            let text = try Self.readTokenFile(path, directory: directory, source: source, secrets: &secrets)
            adminToken = text
            sources[.adminToken] = source
        }
    }

    /// This layer with `higher`'s values on top.
    func overridden(by higher: ConfigurationLayer) -> ConfigurationLayer {
        var result = self
        result.host = higher.host ?? host
        result.port = higher.port ?? port
        result.publicURL = higher.publicURL ?? publicURL
        result.rotationInterval = higher.rotationInterval ?? rotationInterval
        result.bootstrap = higher.bootstrap ?? bootstrap
        result.adminToken = higher.adminToken ?? adminToken
        result.accessTokenLifetime = higher.accessTokenLifetime ?? accessTokenLifetime
        result.refreshTokenLifetime = higher.refreshTokenLifetime ?? refreshTokenLifetime
        result.refreshChainLifetime = higher.refreshChainLifetime ?? refreshChainLifetime
        result.authorizationCodeLifetime = higher.authorizationCodeLifetime ?? authorizationCodeLifetime
        result.passwordHashCost = higher.passwordHashCost ?? passwordHashCost
        result.metricsEnabled = higher.metricsEnabled ?? metricsEnabled
        result.passwordHashThreads = higher.passwordHashThreads ?? passwordHashThreads
        result.passwordHashQueue = higher.passwordHashQueue ?? passwordHashQueue
        result.trustedProxies = higher.trustedProxies ?? trustedProxies
        result.csrfSecret = higher.csrfSecret ?? csrfSecret
        result.metricsListen = higher.metricsListen ?? metricsListen
        result.adminListen = higher.adminListen ?? adminListen
        result.adminPublicURL = higher.adminPublicURL ?? adminPublicURL
        result.database = higher.database ?? database
        result.pruneInterval = higher.pruneInterval ?? pruneInterval
        result.streamsAnonymousPerAddress = higher.streamsAnonymousPerAddress ?? streamsAnonymousPerAddress
        result.streamsAnonymousTotal = higher.streamsAnonymousTotal ?? streamsAnonymousTotal
        result.streamsAuthenticatedTotal = higher.streamsAuthenticatedTotal ?? streamsAuthenticatedTotal
        result.streamsAuthenticatedPerClient = higher.streamsAuthenticatedPerClient ?? streamsAuthenticatedPerClient
        result.streamsPollIntervalMilliseconds = higher.streamsPollIntervalMilliseconds ?? streamsPollIntervalMilliseconds
        result.sources.merge(higher.sources) { _, new in new }
        return result
    }

    // MARK: Checks

    /// A stream cap: a whole number in ``StreamLimits/countRange``.
    private static func count(_ raw: RawSetting) throws(ConfigurationError) -> Int {
        let number = try raw.integer()
        let range = StreamLimits.countRange
        guard range.contains(number) else {
            throw raw.source.error("must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    private static func duration(_ raw: RawSetting, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let seconds = try raw.seconds()
        guard range.contains(seconds) else {
            throw raw.source.error("must be between \(DurationText.shown(range.lowerBound)) and \(DurationText.shown(range.upperBound)), got \(DurationText.shown(seconds))")
        }
        return seconds
    }

    private static func integer(_ raw: RawSetting, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let number = try raw.integer()
        guard range.contains(number) else {
            throw raw.source.error("must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    /// Addresses and CIDR blocks, e.g. `[10.0.0.0/8, "2001:db8::1"]` or `10.0.0.0/8,192.0.2.7`.
    private static func trustedProxies(_ raw: RawSetting) throws(ConfigurationError) -> TrustedProxies {
        let entries = try raw.stringList()
        guard entries.count <= maximumTrustedProxies else {
            throw raw.source.error("lists more than \(maximumTrustedProxies) entries")
        }
        switch TrustedProxies.parse(entries) {
        case .success(let proxies):
            return proxies
        case .failure(let invalid):
            throw raw.source.error("must list IP addresses or CIDR blocks such as 10.0.0.0/8 or 2001:db8::/32, got \(raw.shown(invalid.entry))")
        }
    }

    private static func host(_ raw: RawSetting) throws(ConfigurationError) -> String {
        let text = try raw.string()
        guard !text.isEmpty else { throw raw.source.error("is empty; give an address such as 127.0.0.1 or 0.0.0.0") }
        guard text.count <= 253, text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw raw.source.error("must be a host name or IP address, got \(raw.shown(text))")
        }
        return text
    }

    /// An absolute http(s) URL with a host and no user, query or fragment.
    private static func publicURL(_ raw: RawSetting) throws(ConfigurationError) -> String {
        let text = try raw.string()
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw raw.source.error("must be an absolute http:// or https:// URL, got \(raw.shown(text))")
        }
        // Credentials in the URL would end up in every issuer URL: refuse, and do not repeat them.
        guard components.user == nil, components.password == nil else {
            throw raw.source.error("must not hold a user name or password")
        }
        guard scheme == "http" || scheme == "https" else {
            throw raw.source.error("must start with http:// or https://, got \(raw.shown(text))")
        }
        guard let host = components.host, !host.isEmpty else { throw raw.source.error("must include a host, got \(raw.shown(text))") }
        guard components.query == nil else { throw raw.source.error("must not have a query ('?…'), got \(raw.shown(text))") }
        guard components.fragment == nil else { throw raw.source.error("must not have a fragment ('#…'), got \(raw.shown(text))") }
        return text
    }

    /// At least 32 visible ASCII characters. The token itself never appears in the message.
    private static func checkAdminToken(_ token: String, source: SettingSource, origin: String) throws(ConfigurationError) {
        guard !token.isEmpty else { throw source.error("\(origin)is empty") }
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw source.error("\(origin)must hold only visible ASCII characters (no spaces)")
        }
        guard token.count >= minimumAdminTokenLength else {
            throw source.error("\(origin)is too short: an admin token needs at least \(minimumAdminTokenLength) characters (for example the output of `openssl rand -hex 32`)")
        }
        guard token.count <= maximumAdminTokenLength else {
            throw source.error("\(origin)is too long: at most \(maximumAdminTokenLength) characters")
        }
    }

    /// The token in the file at `path`, trimmed of surrounding whitespace.
    private static func readTokenFile(
        _ path: String, directory: String?, source: SettingSource, secrets: inout [String]
    ) throws(ConfigurationError) -> String {
        var resolved = path
        if !path.hasPrefix("/"), let directory {
            resolved = URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(path).path
        }
        let bytes: [UInt8]
        do {
            bytes = try BoundedFileReader.contents(ofFile: resolved, limit: maximumTokenFileSize)
        } catch {
            switch error {
            case .unreadable(let reason): throw source.error("'\(resolved)' cannot be read: \(reason)")
            case .notRegularFile: throw source.error("'\(resolved)' is not a regular file")
            case .tooLarge: throw source.error("'\(resolved)' is larger than \(maximumTokenFileSize / 1_024) KiB; it should hold only the token")
            }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw source.error("'\(resolved)' is not UTF-8 text")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        secrets.append(token)
        try checkAdminToken(token, source: source, origin: "'\(resolved)': the token ")
        return token
    }
}
