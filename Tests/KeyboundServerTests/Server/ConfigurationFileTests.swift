import Foundation
import KeyboundServer
import Testing

/// `keybound serve`'s config file and environment overrides: precedence, the public URL following the
/// port, every rejection naming its key or variable, and the admin token never appearing in an error.
@Suite("Server: configuration file and environment")
struct ConfigurationFileTests {
    /// A 64-character admin token that must never show up in an error.
    static let token = "kbadm1n7f3c9e2a4b6d8f0e1c3a5b7d9f2e4c6a8b0d1f3e5c7a9b2d4f6e8a0c1b3"

    /// A temporary directory for config files, removed by `remove()`.
    struct Scratch {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-config-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        /// Writes `text` to `name` and returns its path.
        @discardableResult
        func write(_ text: String, to name: String = "keybound.yaml") throws -> String {
            try write(Data(text.utf8), to: name)
        }

        @discardableResult
        func write(_ data: Data, to name: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try data.write(to: url)
            return url.path
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// Every field, for comparing two configurations.
    static func fields(_ c: ServerConfiguration) -> [String] {
        [c.host, "\(c.port)", c.publicURL, "\(c.rotationInterval)", "\(c.bootstrap)", c.adminToken ?? "-",
         "\(c.accessTokenLifetime)", "\(c.refreshTokenLifetime)", "\(c.refreshChainLifetime)",
         "\(c.authorizationCodeLifetime)", "\(c.passwordHashCost)", "\(c.metricsEnabled)",
         "\(c.passwordHashThreads)", "\(c.passwordHashQueue)", c.trustedProxies.ranges.map(\.description).joined(separator: ","),
         c.csrfSecret.map { String(decoding: $0, as: UTF8.self) } ?? "-"]
    }

    /// Loads `yaml` (if any) with `environment` over the defaults.
    static func load(_ yaml: String?, _ environment: [String: String] = [:], base: ServerConfiguration = ServerConfiguration())
        throws(ConfigurationError) -> ServerConfiguration
    {
        let scratch: Scratch
        do { scratch = try Scratch() } catch { fatalError("cannot create a temporary directory: \(error)") }
        defer { scratch.remove() }
        var path: String?
        if let yaml {
            do { path = try scratch.write(yaml) } catch { fatalError("cannot write the config file: \(error)") }
        }
        return try ConfigurationFile.load(path: path, environment: environment, base: base)
    }

    /// The error loading `yaml` with `environment` gives; fails the test when it loads.
    static func failure(_ yaml: String?, _ environment: [String: String] = [:], base: ServerConfiguration = ServerConfiguration(),
                        sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        do {
            let configuration = try load(yaml, environment, base: base)
            Issue.record("loaded, expected an error: \(fields(configuration))", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(!error.description.contains("\n"), "not one line: \(error.description)", sourceLocation: sourceLocation)
            #expect(!error.description.contains(token) && !error.subject.contains(token),
                    "the admin token leaked: \(error.subject): \(error.description)", sourceLocation: sourceLocation)
            return error
        }
    }

    // MARK: Defaults and precedence

    @Test("no file and no variables leave the defaults untouched; unrelated variables are ignored")
    func defaultsUntouched() throws {
        let defaults = ServerConfiguration()
        #expect(Self.fields(try Self.load(nil)) == Self.fields(defaults))
        let other = try Self.load(nil, ["KEYBOUND_DATA": "/var/lib/keybound", "KEYBOUND_KEK_FILE": "/etc/kek", "HOME": "/root"])
        #expect(Self.fields(other) == Self.fields(defaults))
        let custom = ServerConfiguration(host: "0.0.0.0", port: 9000, publicURL: "https://id.example.com", bootstrap: false)
        #expect(Self.fields(try Self.load(nil, base: custom)) == Self.fields(custom))
        // An empty file, or one with only comments and empty sections, changes nothing either.
        #expect(Self.fields(try Self.load("")) == Self.fields(defaults))
        #expect(Self.fields(try Self.load("# nothing yet\nserver:\n  # port: 9000\n")) == Self.fields(defaults))
    }

    @Test("every file value is applied")
    func fileValues() throws {
        let configuration = try Self.load("""
            server:
              host: 0.0.0.0
              port: 9443
              public_url: https://login.example.com/
              trusted_proxies: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]
            rotation:
              interval: 30s
            bootstrap: false
            admin:
              token: \(Self.token)
            tokens:
              access_lifetime: 5m
              refresh_lifetime: 7d
              refresh_chain_lifetime: 30d
              code_lifetime: 45
            passwords:
              bcrypt_cost: 13
              hash_threads: 3
              hash_queue: 40
            metrics:
              enabled: false
            """)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9443)
        #expect(configuration.publicURL == "https://login.example.com")
        #expect(configuration.rotationInterval == .seconds(30))
        #expect(configuration.bootstrap == false)
        #expect(configuration.adminToken == Self.token)
        #expect(configuration.accessTokenLifetime == 300)
        #expect(configuration.refreshTokenLifetime == 7 * 86_400)
        #expect(configuration.refreshChainLifetime == 30 * 86_400)
        #expect(configuration.authorizationCodeLifetime == 45)
        #expect(configuration.passwordHashCost == 13)
        #expect(configuration.metricsEnabled == false)
        #expect(configuration.passwordHashThreads == 3)
        #expect(configuration.passwordHashQueue == 40)
        #expect(configuration.trustedProxies.ranges.map(\.description) == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"])
        #expect(configuration.issuerURL("contoso") == "https://login.example.com/contoso")
    }

    @Test("every variable is applied")
    func environmentValues() throws {
        let configuration = try Self.load(nil, [
            "KEYBOUND_HOST": "::1", "KEYBOUND_PORT": "8443", "KEYBOUND_PUBLIC_URL": "http://id.internal:8443",
            "KEYBOUND_ROTATION_INTERVAL": "2m", "KEYBOUND_BOOTSTRAP": "false", "KEYBOUND_ADMIN_TOKEN": Self.token,
            "KEYBOUND_ACCESS_TOKEN_LIFETIME": "1h", "KEYBOUND_REFRESH_TOKEN_LIFETIME": "1d",
            "KEYBOUND_REFRESH_CHAIN_LIFETIME": "2d", "KEYBOUND_CODE_LIFETIME": "30s", "KEYBOUND_BCRYPT_COST": "10",
            "KEYBOUND_METRICS": "0", "KEYBOUND_PASSWORD_HASH_THREADS": "2", "KEYBOUND_PASSWORD_HASH_QUEUE": "0",
            "KEYBOUND_TRUSTED_PROXIES": " 10.1.0.0/16 , ::1 ",
        ])
        #expect(Self.fields(configuration) == [
            "::1", "8443", "http://id.internal:8443", "\(Duration.seconds(120))", "false", Self.token,
            "3600.0", "86400.0", "172800.0", "30.0", "10", "false", "2", "0", "10.1.0.0/16,::1/128", "-",
        ])
    }

    @Test("a variable beats the file; an empty variable is ignored; untouched file values stay")
    func environmentBeatsFile() throws {
        let yaml = """
            server:
              host: 10.0.0.1
              port: 9000
            tokens:
              access_lifetime: 15m
            bootstrap: false
            """
        let configuration = try Self.load(yaml, ["KEYBOUND_PORT": "9100", "KEYBOUND_ACCESS_TOKEN_LIFETIME": "120", "KEYBOUND_BOOTSTRAP": "true", "KEYBOUND_HOST": ""])
        #expect(configuration.port == 9100)
        #expect(configuration.accessTokenLifetime == 120)
        #expect(configuration.bootstrap == true)
        #expect(configuration.host == "10.0.0.1")
        #expect(configuration.publicURL == "http://localhost:9100")
    }

    @Test("the file is found through KEYBOUND_CONFIG when no path is given; an explicit path wins")
    func configVariable() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let fromVariable = try scratch.write("server:\n  port: 9001\n", to: "a.yaml")
        let explicit = try scratch.write("server:\n  port: 9002\n", to: "b.yaml")
        #expect(try ConfigurationFile.load(path: nil, environment: ["KEYBOUND_CONFIG": fromVariable], base: .init()).port == 9001)
        #expect(try ConfigurationFile.load(path: explicit, environment: ["KEYBOUND_CONFIG": fromVariable], base: .init()).port == 9002)
    }

    // MARK: The public URL follows the port

    @Test("changing the port moves the default public URL; a public URL set anywhere stays")
    func portMovesDefaultPublicURL() throws {
        #expect(try Self.load("server:\n  port: 9090\n").publicURL == "http://localhost:9090")
        #expect(try Self.load(nil, ["KEYBOUND_PORT": "7070"]).issuerURL("consumers") == "http://localhost:7070/consumers")
        #expect(try Self.load("server:\n  public_url: https://id.example.com\n", ["KEYBOUND_PORT": "7070"]).publicURL == "https://id.example.com")
        #expect(try Self.load("server:\n  port: 9090\n", ["KEYBOUND_PUBLIC_URL": "https://env.example.com"]).publicURL == "https://env.example.com")
        let base = ServerConfiguration(publicURL: "https://base.example.com")
        #expect(try Self.load("server:\n  port: 9090\n", base: base).publicURL == "https://base.example.com")
    }

    // MARK: Values

    @Test("durations: whole seconds or a number with s, m, h or d",
          arguments: [("600", 600), ("\"600\"", 600), ("90s", 90), ("10m", 600), ("1h", 3_600), ("1d", 86_400)])
    func durations(text: String, seconds: Int) throws {
        let configuration = try Self.load("tokens:\n  access_lifetime: \(text)\n")
        #expect(configuration.accessTokenLifetime == TimeInterval(seconds))
        let fromVariable = try Self.load(nil, ["KEYBOUND_ACCESS_TOKEN_LIFETIME": text.replacingOccurrences(of: "\"", with: "")])
        #expect(fromVariable.accessTokenLifetime == TimeInterval(seconds))
    }

    @Test("a 14d refresh lifetime and the rotation interval as a Duration")
    func longDurations() throws {
        let configuration = try Self.load("tokens:\n  refresh_lifetime: 14d\n  refresh_chain_lifetime: 60d\nrotation:\n  interval: 5m\n")
        #expect(configuration.refreshTokenLifetime == 14 * 86_400)
        #expect(configuration.refreshChainLifetime == 60 * 86_400)
        #expect(configuration.rotationInterval == .seconds(300))
    }

    @Test("booleans from variables", arguments: [("true", true), ("FALSE", false), ("1", true), ("0", false), ("yes", true), ("off", false)])
    func environmentBooleans(text: String, value: Bool) throws {
        #expect(try Self.load(nil, ["KEYBOUND_METRICS": text]).metricsEnabled == value)
        #expect(try Self.load(nil, ["KEYBOUND_BOOTSTRAP": text]).bootstrap == value)
    }

    // MARK: The sign-in CSRF secret

    @Test("the CSRF secret from a file, trimmed; relative to the config file; a short one is refused without being quoted")
    func csrfSecretFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let secret = "c5rf" + String(repeating: "0123456789abcdef", count: 4)
        let path = try scratch.write("\n\(secret)  \n", to: "csrf.secret")
        let config = try scratch.write("signin:\n  csrf_secret_file: csrf.secret\n")
        #expect(try ConfigurationFile.load(path: config, environment: [:], base: .init()).csrfSecret == Array(secret.utf8))
        let fromVariable = try ConfigurationFile.load(path: nil, environment: ["KEYBOUND_CSRF_SECRET_FILE": path], base: .init())
        #expect(fromVariable.csrfSecret == Array(secret.utf8))
        #expect(try Self.load(nil).csrfSecret == nil)
        let short = "tooShortSecret4567"
        let shortPath = try scratch.write(short, to: "short.secret")
        let error = Self.failure(nil, ["KEYBOUND_CSRF_SECRET_FILE": shortPath])
        #expect(error?.subject == "KEYBOUND_CSRF_SECRET_FILE")
        #expect(error?.description.contains(short) == false, "\(String(describing: error))")
        let spaced = try scratch.write("two words " + secret, to: "spaced.secret")
        let spacedError = Self.failure(nil, ["KEYBOUND_CSRF_SECRET_FILE": spaced])
        #expect(spacedError?.description.contains(secret) == false, "\(String(describing: spacedError))")
    }

    // MARK: The admin token

    @Test("the admin token from a file, trimmed; a relative path is relative to the config file")
    func tokenFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tokenPath = try scratch.write("  \(Self.token)\n\n", to: "admin.token")
        let config = try scratch.write("admin:\n  token_file: admin.token\n")
        #expect(try ConfigurationFile.load(path: config, environment: [:], base: .init()).adminToken == Self.token)
        let fromVariable = try ConfigurationFile.load(path: nil, environment: ["KEYBOUND_ADMIN_TOKEN_FILE": tokenPath], base: .init())
        #expect(fromVariable.adminToken == Self.token)
    }

    @Test("a token file in the environment beats a token in the file, and the other way round")
    func tokenSourcesAcrossLayers() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let other = String(repeating: "z9", count: 20)
        let tokenPath = try scratch.write(other + "\n", to: "admin.token")
        let config = try scratch.write("admin:\n  token: \(Self.token)\n")
        #expect(try ConfigurationFile.load(path: config, environment: ["KEYBOUND_ADMIN_TOKEN_FILE": tokenPath], base: .init()).adminToken == other)
        let fileConfig = try scratch.write("admin:\n  token_file: \(tokenPath)\n", to: "file.yaml")
        #expect(try ConfigurationFile.load(path: fileConfig, environment: ["KEYBOUND_ADMIN_TOKEN": Self.token], base: .init()).adminToken == Self.token)
    }

    @Test("token and token_file together are refused, in the file and in the environment")
    func tokenAndTokenFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tokenPath = try scratch.write(Self.token, to: "admin.token")
        let fileError = Self.failure("admin:\n  token: \(Self.token)\n  token_file: \(tokenPath)\n")
        #expect(fileError?.description.contains("admin.token and admin.token_file are both set") == true, "\(String(describing: fileError))")
        let envError = Self.failure(nil, ["KEYBOUND_ADMIN_TOKEN": Self.token, "KEYBOUND_ADMIN_TOKEN_FILE": tokenPath])
        #expect(envError?.description.contains("KEYBOUND_ADMIN_TOKEN and KEYBOUND_ADMIN_TOKEN_FILE") == true, "\(String(describing: envError))")
    }

    @Test("the admin token never appears in an error")
    func tokenNeverInErrors() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let short = "Sh0rtButSecretValue"
        let spaced = "kbadm1n secret with spaces that is long enough 0123456789"
        let numeric = "12345678901234567890123456789012345678"
        let cases: [(yaml: String?, environment: [String: String], key: String)] = [
            ("admin:\n  token: \(short)\n", [:], "admin.token"),
            ("admin:\n  token: \"\(spaced)\"\n", [:], "admin.token"),
            ("admin:\n  token: \(numeric)\n", [:], "admin.token"),
            ("admin:\n  token: [\(Self.token)]\n", [:], "admin.token"),
            (nil, ["KEYBOUND_ADMIN_TOKEN": short], "KEYBOUND_ADMIN_TOKEN"),
            (nil, ["KEYBOUND_ADMIN_TOKEN": spaced], "KEYBOUND_ADMIN_TOKEN"),
            // A syntax error on the token's line: Yams would quote the line; we do not.
            ("admin:\n  token: \(Self.token): [\n", [:], "keybound.yaml"),
            ("admin:\n  token: \(Self.token)\n\ttabbed: \(Self.token)\n", [:], "keybound.yaml"),
            // The token pasted as a key.
            ("admin:\n  \(Self.token): true\n", [:], "unknown key"),
            // The token pasted where another value belongs, while it is also the admin token.
            ("admin:\n  token: \(Self.token)\n", ["KEYBOUND_PUBLIC_URL": Self.token], "KEYBOUND_PUBLIC_URL"),
            ("admin:\n  token: \(Self.token)\nserver:\n  host: \"\(Self.token) x\"\n", [:], "server.host"),
            ("server:\n  host: \"\(Self.token) x\"\nadmin:\n  token: \(Self.token)\n", [:], "server.host"),
            ("server:\n  host: \"\(Self.token) x\"\n", ["KEYBOUND_ADMIN_TOKEN": Self.token], "server.host"),
        ]
        for (yaml, environment, key) in cases {
            guard let error = Self.failure(yaml, environment) else { continue }
            #expect(error.description.contains(key), "\(error.description) does not name \(key)")
            #expect(!error.description.contains(short) && !error.description.contains(spaced) && !error.description.contains(numeric),
                    "a token leaked: \(error.description)")
        }
        // A short token in a token file.
        let shortFile = try scratch.write(short + "\n", to: "short.token")
        let fromFile = Self.failure(nil, ["KEYBOUND_ADMIN_TOKEN_FILE": shortFile])
        #expect(fromFile?.description.contains("KEYBOUND_ADMIN_TOKEN_FILE") == true)
        #expect(fromFile?.description.contains("too short") == true)
        #expect(fromFile?.description.contains(short) == false)
    }

    // MARK: Rejections

    @Test("an unknown key is refused with its full name and a suggestion")
    func unknownKeys() {
        let typo = Self.failure("server:\n  host: 0.0.0.0\n  prot: 9000\n")
        #expect(typo?.description.contains("unknown key 'server.prot'") == true, "\(String(describing: typo))")
        #expect(typo?.description.contains("did you mean 'server.port'") == true)
        #expect(typo?.description.contains("keybound.yaml:3:") == true, "no line number: \(String(describing: typo))")
        let topLevel = Self.failure("port: 9000\n")
        #expect(topLevel?.description.contains("unknown key 'port' (did you mean 'server.port'?)") == true, "\(String(describing: topLevel))")
        let section = Self.failure("srever:\n  port: 9000\n")
        #expect(section?.description.contains("unknown key 'srever'") == true)
        #expect(section?.description.contains("'server'") == true)
        let hyphen = Self.failure("server:\n  public-url: https://x.example\n")
        #expect(hyphen?.description.contains("did you mean 'server.public_url'") == true)
        let unrelated = Self.failure("logging:\n  level: debug\n")
        #expect(unrelated?.description.contains("unknown key 'logging'") == true)
    }

    @Test("values that are refused name their key", arguments: [
        // Wrong types.
        ("server:\n  port: \"9000\"\n", "server.port"),
        ("server:\n  port: nine\n", "server.port"),
        ("server:\n  port: 90.5\n", "server.port"),
        ("server:\n  port:\n", "server.port"),
        ("server:\n  host: [a, b]\n", "server.host"),
        ("server:\n  host: 10\n", "server.host"),
        ("server: 9000\n", "server"),
        ("tokens:\n  - access_lifetime\n", "tokens"),
        ("bootstrap: \"maybe\"\n", "bootstrap"),
        ("metrics:\n  enabled: 1\n", "metrics.enabled"),
        ("tokens:\n  access_lifetime: 1.5h\n", "tokens.access_lifetime"),
        ("tokens:\n  access_lifetime: 10 minutes\n", "tokens.access_lifetime"),
        ("tokens:\n  access_lifetime: 2.5\n", "tokens.access_lifetime"),
        ("passwords:\n  bcrypt_cost: twelve\n", "passwords.bcrypt_cost"),
        // Ports.
        ("server:\n  port: 0\n", "server.port"),
        ("server:\n  port: 65536\n", "server.port"),
        ("server:\n  port: -1\n", "server.port"),
        // Public URLs.
        ("server:\n  public_url: ftp://id.example.com\n", "server.public_url"),
        ("server:\n  public_url: id.example.com\n", "server.public_url"),
        ("server:\n  public_url: https://id.example.com/?tenant=1\n", "server.public_url"),
        ("server:\n  public_url: \"https://id.example.com/#top\"\n", "server.public_url"),
        ("server:\n  public_url: \"https:///path\"\n", "server.public_url"),
        ("server:\n  public_url: \"\"\n", "server.public_url"),
        // Lifetimes.
        ("tokens:\n  access_lifetime: 0\n", "tokens.access_lifetime"),
        ("tokens:\n  access_lifetime: -60\n", "tokens.access_lifetime"),
        ("tokens:\n  access_lifetime: 0s\n", "tokens.access_lifetime"),
        ("tokens:\n  access_lifetime: 2d\n", "tokens.access_lifetime"),
        ("tokens:\n  access_lifetime: 86401\n", "tokens.access_lifetime"),
        ("tokens:\n  code_lifetime: 11m\n", "tokens.code_lifetime"),
        ("tokens:\n  code_lifetime: 0\n", "tokens.code_lifetime"),
        ("tokens:\n  refresh_lifetime: 0\n", "tokens.refresh_lifetime"),
        ("tokens:\n  refresh_chain_lifetime: -1\n", "tokens.refresh_chain_lifetime"),
        ("tokens:\n  refresh_lifetime: 30d\n  refresh_chain_lifetime: 7d\n", "tokens.refresh_lifetime"),
        ("tokens:\n  refresh_chain_lifetime: 7d\n", "tokens.refresh_chain_lifetime"),
        ("tokens:\n  refresh_lifetime: 91d\n", "tokens.refresh_lifetime"),
        ("rotation:\n  interval: 0\n", "rotation.interval"),
        ("rotation:\n  interval: 2h\n", "rotation.interval"),
        // bcrypt.
        ("passwords:\n  bcrypt_cost: 9\n", "passwords.bcrypt_cost"),
        ("passwords:\n  bcrypt_cost: 17\n", "passwords.bcrypt_cost"),
        // Password hashing.
        ("passwords:\n  hash_threads: 0\n", "passwords.hash_threads"),
        ("passwords:\n  hash_threads: 257\n", "passwords.hash_threads"),
        ("passwords:\n  hash_threads: \"4\"\n", "passwords.hash_threads"),
        ("passwords:\n  hash_queue: -1\n", "passwords.hash_queue"),
        ("passwords:\n  hash_queue: 10001\n", "passwords.hash_queue"),
        // Trusted proxies.
        ("server:\n  trusted_proxies: [10.0.0.1/8]\n", "server.trusted_proxies"),
        ("server:\n  trusted_proxies: [proxy.internal]\n", "server.trusted_proxies"),
        ("server:\n  trusted_proxies: [10, 11]\n", "server.trusted_proxies"),
        ("server:\n  trusted_proxies: {a: 1}\n", "server.trusted_proxies"),
        ("server:\n  trusted_proxies: \"10.0.0.0/8, ::/129\"\n", "server.trusted_proxies"),
        // CSRF secret.
        ("signin:\n  csrf_secret_file: /nonexistent/keybound/csrf.secret\n", "signin.csrf_secret_file"),
        ("signin:\n  csrf_secret_file: \"\"\n", "signin.csrf_secret_file"),
        // Admin token.
        ("admin:\n  token: tooshort\n", "admin.token"),
        ("admin:\n  token: \"\"\n", "admin.token"),
        ("admin:\n  token_file: /nonexistent/keybound/admin.token\n", "admin.token_file"),
    ])
    func fileRejections(yaml: String, key: String) {
        let error = Self.failure(yaml)
        #expect(error?.description.contains(key) == true, "\(String(describing: error)) does not name \(key)")
        #expect(error?.subject == key, "\(String(describing: error)) is not about \(key)")
    }

    @Test("variables that are refused name their variable", arguments: [
        ("KEYBOUND_PORT", "http"),
        ("KEYBOUND_PORT", "0"),
        ("KEYBOUND_PORT", "70000"),
        ("KEYBOUND_HOST", "two words"),
        ("KEYBOUND_PUBLIC_URL", "ftp://id.example.com"),
        ("KEYBOUND_PUBLIC_URL", "https://id.example.com?x=1"),
        ("KEYBOUND_PUBLIC_URL", "https://user:pw@id.example.com"),
        ("KEYBOUND_ROTATION_INTERVAL", "soon"),
        ("KEYBOUND_ROTATION_INTERVAL", "0"),
        ("KEYBOUND_BOOTSTRAP", "maybe"),
        ("KEYBOUND_ADMIN_TOKEN", "short"),
        ("KEYBOUND_ADMIN_TOKEN_FILE", "/nonexistent/keybound/admin.token"),
        ("KEYBOUND_ACCESS_TOKEN_LIFETIME", "-5"),
        ("KEYBOUND_ACCESS_TOKEN_LIFETIME", "25h"),
        ("KEYBOUND_REFRESH_TOKEN_LIFETIME", "100d"),
        ("KEYBOUND_REFRESH_CHAIN_LIFETIME", "1d"),
        ("KEYBOUND_CODE_LIFETIME", "1h"),
        ("KEYBOUND_BCRYPT_COST", "4"),
        ("KEYBOUND_BCRYPT_COST", "twelve"),
        ("KEYBOUND_METRICS", "enabled"),
        ("KEYBOUND_PASSWORD_HASH_THREADS", "all"),
        ("KEYBOUND_PASSWORD_HASH_THREADS", "0"),
        ("KEYBOUND_PASSWORD_HASH_QUEUE", "-3"),
        ("KEYBOUND_TRUSTED_PROXIES", "10.0.0.0/8,not-an-address"),
        ("KEYBOUND_CSRF_SECRET_FILE", "/nonexistent/keybound/csrf.secret"),
    ])
    func environmentRejections(variable: String, value: String) {
        let error = Self.failure(nil, [variable: value])
        #expect(error?.subject == variable, "\(String(describing: error))")
        #expect(error?.description.contains(variable) == true, "\(String(describing: error)) does not name \(variable)")
    }

    @Test("a user name and password in the public URL are refused without being repeated")
    func publicURLCredentials() {
        let error = Self.failure("server:\n  public_url: https://admin:hunter2secret@id.example.com\n")
        #expect(error?.description.contains("server.public_url") == true)
        #expect(error?.description.contains("hunter2secret") == false)
    }

    // MARK: Files

    @Test("a missing file, a directory, a file over 1 MiB, invalid YAML and a top level that is not a mapping are refused")
    func badFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        func error(_ path: String) -> ConfigurationError? {
            do {
                _ = try ConfigurationFile.load(path: path, environment: [:], base: .init())
                Issue.record("\(path) loaded")
                return nil
            } catch {
                #expect(error.subject == path)
                #expect(error.description.contains(path), "\(error.description) does not name the file")
                #expect(!error.description.contains("\n"))
                return error
            }
        }
        let missing = scratch.directory.appendingPathComponent("absent.yaml").path
        #expect(error(missing)?.description.contains("cannot read") == true)
        #expect(error(scratch.directory.path)?.description.contains("not a regular file") == true)
        let large = try scratch.write(Data(("# " + String(repeating: "x", count: 1_048_576) + "\n").utf8), to: "large.yaml")
        #expect(error(large)?.description.contains("larger than 1 MiB") == true)
        let invalid = try scratch.write("server:\n  port: 9000\n   host: [\n", to: "invalid.yaml")
        #expect(error(invalid)?.description.contains("not valid YAML") == true)
        #expect(error(invalid)?.description.contains("line ") == true)
        let duplicate = try scratch.write("server:\n  port: 9000\n  port: 9001\n", to: "duplicate.yaml")
        #expect(error(duplicate)?.description.contains("duplicate key 'port'") == true, "\(String(describing: error(duplicate)))")
        let list = try scratch.write("- server\n- port\n", to: "list.yaml")
        #expect(error(list)?.description.contains("top level must be a mapping") == true)
        let scalar = try scratch.write("just some text\n", to: "scalar.yaml")
        #expect(error(scalar)?.description.contains("top level must be a mapping") == true)
        let deep = try scratch.write("server:\n  host: " + String(repeating: "[", count: 5_000) + "\n", to: "deep.yaml")
        #expect(error(deep)?.description.contains("not valid YAML") == true)
        let binary = try scratch.write(Data([0xFF, 0xFE, 0x00, 0x41]), to: "binary.yaml")
        #expect(error(binary) != nil)
    }

    @Test("a file of exactly 1 MiB is read")
    func fileAtTheLimit() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let line = "server:\n  port: 9123\n# "
        let text = line + String(repeating: "x", count: ConfigurationFile.maximumFileSize - line.utf8.count)
        let path = try scratch.write(text)
        #expect(try ConfigurationFile.load(path: path, environment: [:], base: .init()).port == 9123)
    }

    @Test("admin.listen: public in development, 127.0.0.1:9465 in production unless set; from the file or the variable; the console's URL follows")
    func adminListen() throws {
        let development = try Self.load(nil)
        #expect(development.adminListener == .publicListener && development.consoleBaseURL == development.publicURL)
        let production = try Self.load("bootstrap: false\n")
        #expect(production.adminListener == .own(host: "127.0.0.1", port: 9465))
        #expect(production.consoleBaseURL == "http://127.0.0.1:9465")

        let file = try Self.load("bootstrap: false\nadmin:\n  listen: \"[::1]:9500\"\n  public_url: https://admin.example.com/\n")
        #expect(file.adminListener == .own(host: "::1", port: 9500))
        #expect(file.consoleBaseURL == "https://admin.example.com")
        let shared = try Self.load("bootstrap: false\n", ["KEYBOUND_ADMIN_LISTEN": "public"])
        #expect(shared.adminListener == .publicListener && shared.consoleBaseURL == shared.publicURL, "production may choose the public listener")
        let variable = try Self.load(nil, ["KEYBOUND_ADMIN_LISTEN": "10.0.0.5:9465"])
        #expect(variable.adminListener == .own(host: "10.0.0.5", port: 9465) && variable.consoleBaseURL == "http://10.0.0.5:9465")

        for bad in ["off", "9465", "host:99999"] {
            let error = Self.failure(nil, ["KEYBOUND_ADMIN_LISTEN": bad])
            #expect(error?.description.contains("public, HOST:PORT") == true, "\(bad): \(error?.description ?? "-")")
        }
        #expect(Self.failure("admin:\n  public_url: ftp://admin.example.com\n")?.description.contains("http") == true)
    }
}
