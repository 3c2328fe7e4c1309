import Foundation
import Keybound
import KeyboundStore
import Yams

/// `keybound serve`'s settings from a YAML config file and `KEYBOUND_*` environment variables.
///
/// Precedence, lowest first: the `base` configuration (the defaults), the file, the environment;
/// the caller applies command-line flags afterwards. Every key and variable is listed in
/// `docs/configuration.md`. Unknown keys, values of the wrong type and out-of-range values are
/// errors, never ignored; no error ever quotes the admin token.
public enum ConfigurationFile {
    /// The environment variable naming the config file when no path is given.
    public static let pathVariable = "KEYBOUND_CONFIG"
    /// The largest config file read: 1 MiB.
    public static let maximumFileSize = 1 << 20

    /// `base` with the settings of the YAML file at `path` (or at `$KEYBOUND_CONFIG` when `path` is
    /// `nil`; no file when neither is set) and then those of `environment` applied.
    ///
    /// When the port changes and no public URL is set by the file or the environment, the public URL
    /// follows the new port (`http://localhost:<port>`), unless `base` had a public URL of its own.
    public static func load(
        path: String?, environment: [String: String], base: ServerConfiguration
    ) throws(ConfigurationError) -> ServerConfiguration {
        var secrets = [base.adminToken, environment[ConfigurationSetting.adminToken.variable]].compactMap { $0 }
        do {
            return try load(path: path, environment: environment, base: base, secrets: &secrets)
        } catch {
            throw error.redacting(secrets)
        }
    }

    private static func load(
        path: String?, environment: [String: String], base: ServerConfiguration, secrets: inout [String]
    ) throws(ConfigurationError) -> ServerConfiguration {
        var layer = ConfigurationLayer()
        let filePath = path ?? environment[pathVariable].flatMap { $0.isEmpty ? nil : $0 }
        if let filePath {
            let values = try settings(inFile: filePath)
            let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().path
            layer = try ConfigurationLayer(values, directory: directory, secrets: &secrets)
        }
        let variables = ConfigurationSetting.allCases.compactMap { setting -> RawSetting? in
            guard let text = environment[setting.variable], !text.isEmpty else { return nil }
            return RawSetting(setting: setting, value: .environment(text), source: SettingSource(name: setting.variable, location: nil))
        }
        layer = layer.overridden(by: try ConfigurationLayer(variables, directory: nil, secrets: &secrets))
        return try merge(layer, onto: base)
    }

    /// `base` with `layer`'s values, checking the settings that depend on each other.
    static func merge(_ layer: ConfigurationLayer, onto base: ServerConfiguration) throws(ConfigurationError) -> ServerConfiguration {
        let refresh = layer.refreshTokenLifetime.map(TimeInterval.init) ?? base.refreshTokenLifetime
        let chain = layer.refreshChainLifetime.map(TimeInterval.init) ?? base.refreshChainLifetime
        if refresh > chain, layer.refreshTokenLifetime != nil || layer.refreshChainLifetime != nil {
            let refreshName = layer.sources[.refreshTokenLifetime]?.name ?? "the default \(ConfigurationSetting.refreshTokenLifetime.key)"
            let chainName = layer.sources[.refreshChainLifetime]?.name ?? "the default \(ConfigurationSetting.refreshChainLifetime.key)"
            let blamed = layer.sources[.refreshTokenLifetime] ?? layer.sources[.refreshChainLifetime]!
            throw ConfigurationError(
                subject: blamed.name,
                (blamed.location.map { "\($0): " } ?? "")
                    + "\(refreshName) (\(DurationText.text(refresh))) must not be longer than \(chainName) (\(DurationText.text(chain))): "
                    + "a refresh token cannot outlive its chain")
        }
        var streamLimits = base.streamLimits
        if let value = layer.streamsAnonymousPerAddress { streamLimits.anonymousPerAddress = value }
        if let value = layer.streamsAnonymousTotal { streamLimits.anonymousTotal = value }
        if let value = layer.streamsAuthenticatedTotal { streamLimits.authenticatedTotal = value }
        if let value = layer.streamsAuthenticatedPerClient { streamLimits.authenticatedPerClient = value }
        if let value = layer.streamsPollIntervalMilliseconds { streamLimits.pollInterval = .milliseconds(value) }
        if streamLimits.anonymousPerAddress > streamLimits.anonymousTotal,
           let blamed = layer.sources[.streamsAnonymousPerAddress] ?? layer.sources[.streamsAnonymousTotal] {
            throw ConfigurationError(
                subject: blamed.name,
                (blamed.location.map { "\($0): " } ?? "") + "streams.anonymous_per_address (\(streamLimits.anonymousPerAddress)) "
                    + "must not be above streams.anonymous_total (\(streamLimits.anonymousTotal))")
        }
        let port = layer.port ?? base.port
        // The default public URL follows the port; one that was set somewhere stays.
        let basePublicURLIsDerived = base.publicURL == ServerConfiguration(port: base.port).publicURL
        let publicURL = layer.publicURL ?? (basePublicURLIsDerived ? nil : base.publicURL)
        var configuration = ServerConfiguration(
            host: layer.host ?? base.host,
            port: port,
            publicURL: publicURL,
            rotationInterval: layer.rotationInterval.map { .seconds($0) } ?? base.rotationInterval,
            bootstrap: layer.bootstrap ?? base.bootstrap,
            adminToken: layer.adminToken ?? base.adminToken,
            accessTokenLifetime: layer.accessTokenLifetime.map(TimeInterval.init) ?? base.accessTokenLifetime,
            refreshTokenLifetime: refresh,
            refreshChainLifetime: chain,
            authorizationCodeLifetime: layer.authorizationCodeLifetime.map(TimeInterval.init) ?? base.authorizationCodeLifetime,
            passwordHashCost: layer.passwordHashCost.map { UInt8($0) } ?? base.passwordHashCost,
            metricsEnabled: layer.metricsEnabled ?? base.metricsEnabled,
            passwordHashThreads: layer.passwordHashThreads ?? base.passwordHashThreads,
            passwordHashQueue: layer.passwordHashQueue ?? base.passwordHashQueue,
            trustedProxies: layer.trustedProxies ?? base.trustedProxies,
            csrfSecret: layer.csrfSecret ?? base.csrfSecret,
            streamLimits: streamLimits
        )
        configuration.metricsListener = layer.metricsListen ?? base.metricsListener
        configuration.adminListen = layer.adminListen ?? base.adminListen
        configuration.adminPublicURL = layer.adminPublicURL ?? base.adminPublicURL
        configuration.database = layer.database ?? base.database
        configuration.pruneInterval = layer.pruneInterval.map { .seconds($0) } ?? base.pruneInterval
        return configuration
    }

    // MARK: The file

    /// The settings in the YAML file at `path`, in file order.
    static func settings(inFile path: String) throws(ConfigurationError) -> [RawSetting] {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFileReader.contents(ofFile: path, limit: maximumFileSize)
        } catch {
            switch error {
            case .unreadable(let reason): throw ConfigurationError(subject: path, "cannot read config file '\(path)': \(reason)")
            case .notRegularFile: throw ConfigurationError(subject: path, "config file '\(path)' is not a regular file")
            case .tooLarge: throw ConfigurationError(subject: path, "config file '\(path)' is larger than 1 MiB")
            }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw ConfigurationError(subject: path, "config file '\(path)' is not UTF-8 text")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError(subject: path, "config file '\(path)' is not valid YAML: \(describe(error))")
        } catch {
            throw ConfigurationError(subject: path, "config file '\(path)' is not valid YAML")
        }
        return try settings(in: root, path: path)
    }

    /// The settings in a parsed document; `nil` (an empty file) has none.
    static func settings(in root: Node?, path: String) throws(ConfigurationError) -> [RawSetting] {
        guard let root, root.resolvedTagName != .null else { return [] }
        guard case .mapping(let top) = root else {
            throw ConfigurationError(subject: path, "config file '\(path)': the top level must be a mapping of settings (like 'server:'), not \(kind(of: root))")
        }
        var values: [RawSetting] = []
        for (keyNode, value) in top {
            let name = try keyName(keyNode, parent: nil, path: path)
            let location = "\(path):\(keyNode.mark?.line ?? 0)"
            if let setting = ConfigurationSetting.topLevel[name] {
                values.append(RawSetting(setting: setting, value: .yaml(value), source: SettingSource(name: setting.key, location: location)))
            } else if let section = ConfigurationSetting.sections[name] {
                if value.resolvedTagName == .null { continue }  // `server:` with everything under it commented out
                guard case .mapping(let entries) = value else {
                    throw ConfigurationError(subject: name, "\(location): \(name) must be a mapping of settings (like '\(name):' with indented keys under it), not \(kind(of: value))")
                }
                for (leafNode, leafValue) in entries {
                    let leaf = try keyName(leafNode, parent: name, path: path)
                    let leafLocation = "\(path):\(leafNode.mark?.line ?? 0)"
                    guard let setting = section[leaf] else { throw unknownKey("\(name).\(leaf)", location: leafLocation) }
                    values.append(RawSetting(setting: setting, value: .yaml(leafValue), source: SettingSource(name: setting.key, location: leafLocation)))
                }
            } else {
                throw unknownKey(name, location: location)
            }
        }
        return values
    }

    private static func keyName(_ node: Node, parent: String?, path: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else {
            let whereText = parent.map { "under '\($0)'" } ?? "at the top level"
            throw ConfigurationError(subject: parent ?? path, "\(path):\(node.mark?.line ?? 0): keys \(whereText) must be plain names, not \(kind(of: node))")
        }
        return scalar.string
    }

    private static func unknownKey(_ key: String, location: String) -> ConfigurationError {
        // A key long enough to be a token pasted in the wrong place is not repeated.
        let tooLong = key.count >= ConfigurationLayer.minimumAdminTokenLength
        var message = "\(location): unknown key " + (tooLong ? "of \(key.count) characters" : ConfigurationError.quoted(key))
        if let suggestion = ConfigurationSetting.suggestion(for: key) { message += " (did you mean '\(suggestion)'?)" }
        return ConfigurationError(subject: tooLong ? "unknown key" : key, message)
    }

    private static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar: "a single value"
        }
    }

    /// A YAML error's position and problem, without the snippet of the file Yams adds (it could hold the admin token).
    private static func describe(_ error: YamlError) -> String {
        func context(_ context: YamlError.Context?) -> String { context.map { "\($0.text): " } ?? "" }
        switch error {
        case .scanner(let c, let problem, let mark, _), .parser(let c, let problem, let mark, _), .composer(let c, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(context(c))\(problem)"
        case .reader(let problem, let offset, _, _):
            return offset.map { "byte \($0): \(problem)" } ?? problem
        case .duplicatedKeysInMapping(let duplicates, let c):
            let known = ConfigurationSetting.knownNames
            let names = duplicates.filter(known.contains).sorted().map { "'\($0)'" }
            return "line \(c.mark.line): " + (names.isEmpty ? "a key appears twice" : "duplicate key \(names.joined(separator: ", "))")
        default:
            return "it cannot be parsed"
        }
    }
}
