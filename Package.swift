// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Keybound",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Keybound", targets: ["Keybound"]),
        .library(name: "KeyboundStore", targets: ["KeyboundStore"]),
        .library(name: "KeyboundServer", targets: ["KeyboundServer"]),
        .library(name: "KeyboundApp", targets: ["KeyboundApp"]),
        .library(name: "KeyboundValidation", targets: ["KeyboundValidation"]),
        .library(name: "KeyboundHummingbird", targets: ["KeyboundHummingbird"]),
        .library(name: "KeyboundAudit", targets: ["KeyboundAudit"]),
        .library(name: "KeyboundResourceKit", targets: ["KeyboundResourceKit"]),
        .library(name: "KeyboundMail", targets: ["KeyboundMail"]),
        .library(name: "KeyboundFiles", targets: ["KeyboundFiles"]),
        .library(name: "KeyboundHunt", targets: ["KeyboundHunt"]),
        .library(name: "KeyboundIncident", targets: ["KeyboundIncident"]),
        .library(name: "KeyboundPKCS11", targets: ["KeyboundPKCS11"]),
        // For people who build on Keybound, in the manner of HummingbirdTesting: a fake issuer that
        // mints tokens, its trust store and a test clock (core only), and a router-or-live harness
        // for a protected resource.
        .library(name: "KeyboundTesting", targets: ["KeyboundTesting"]),
        .library(name: "KeyboundHummingbirdTesting", targets: ["KeyboundHummingbirdTesting"]),
        .executable(name: "keybound", targets: ["keybound"]),
        .executable(name: "KeyboundFuzz", targets: ["KeyboundFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Bcrypt for user passwords only (client secrets are random and stored as SHA-256).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The YAML config file.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Outgoing HTTP of the library (remote trust: discovery, JWKS, event streams; the alert
        // webhook): redirects refused, bodies streamed under a size cap, safe to cancel.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // PostgreSQL, the store for production and for many nodes (PostgresClient: a pooled,
        // async client on SwiftNIO; TLS through swift-nio-ssl).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The console's server-rendered pages: logic-less templates, HTML-escaped by default, from
        // the Hummingbird project (no dependencies of its own).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .target(
            name: "Keybound",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // The internal SQLite core (no product): one opener (WAL, synchronous = FULL, migrations),
        // one `BEGIN IMMEDIATE` helper and the group-commit writer of the ledger and the audit log.
        .target(
            name: "KeyboundSQLite",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The internal PostgreSQL core (no product): connection settings (`postgres://` URLs, the
        // password from a file, TLS verify-full off loopback), versioned migrations under an
        // advisory lock, and commit-ordered logs.
        .target(
            name: "KeyboundPostgres",
            dependencies: [
                "Keybound",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Issuers, key lifecycle, sealed private keys and key events; SQLite (GRDB) by default,
        // PostgreSQL (postgres-nio) for many nodes.
        .target(
            name: "KeyboundStore",
            dependencies: [
                "Keybound",
                "KeyboundSQLite",
                "KeyboundPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The identity provider over HTTP: per-issuer discovery and JWKS, health, the rotation service.
        .target(
            name: "KeyboundServer",
            dependencies: [
                "KeyboundHummingbird",
                "KeyboundValidation",
                "Keybound",
                "KeyboundStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The composition root: the provider with Keybound Mail in its process and the admin hunt,
        // as `serve`, the drill, the tests and the benchmarks assemble it.
        .target(
            name: "KeyboundApp",
            dependencies: [
                "Keybound",
                "KeyboundStore",
                "KeyboundServer",
                "KeyboundHummingbird",
                "KeyboundValidation",
                "KeyboundMail",
                "KeyboundFiles",
                "KeyboundResourceKit",
                "KeyboundAudit",
                "KeyboundHunt",
                "KeyboundIncident",
                "KeyboundPostgres",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The resource side without a web framework: remote trust (discovery, JWKS, the key-event
        // and token-event streams), the verified-token cache, revocations, online checks, alerts
        // and identity requirements.
        .target(
            name: "KeyboundValidation",
            dependencies: [
                "Keybound",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Bearer-token authentication for Hummingbird resource servers: the verifier as middleware,
        // a typed identity in the request context, enforcement of scopes, roles and issuers.
        .target(
            name: "KeyboundHummingbird",
            dependencies: [
                "Keybound",
                "KeyboundValidation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The tamper-evident audit log: hash-chained records, signed checkpoints, verification.
        .target(
            name: "KeyboundAudit",
            dependencies: [
                "Keybound",
                "KeyboundSQLite",
                "KeyboundPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The resource-server kit: what every protected resource needs around its routes (bearer
        // authentication, one audit record per attempt or 503, bounded records of refused tokens,
        // alerts, local or remote trust), and a host serving several resources on one listener.
        .target(
            name: "KeyboundResourceKit",
            dependencies: [
                "Keybound",
                "KeyboundPostgres",
                "KeyboundHummingbird",
                "KeyboundValidation",
                "KeyboundAudit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Keybound Mail: the protected resource (mailboxes per tenant), written on the kit.
        .target(
            name: "KeyboundMail",
            dependencies: [
                "Keybound",
                "KeyboundSQLite",
                "KeyboundPostgres",
                "KeyboundHummingbird",
                "KeyboundValidation",
                "KeyboundAudit",
                "KeyboundResourceKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Keybound Files: a drive per user, the resource kit's worked example (docs/resource-kit.md).
        .target(
            name: "KeyboundFiles",
            dependencies: [
                "Keybound",
                "KeyboundSQLite",
                "KeyboundPostgres",
                "KeyboundAudit",
                "KeyboundValidation",
                "KeyboundResourceKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The hunt: the audit log joined with the issuance ledger and the key store (forged tokens,
        // cross-issuer keys, revoked keys, first-time access), one streaming pass.
        .target(
            name: "KeyboundHunt",
            dependencies: [
                "Keybound",
                "KeyboundSQLite",
                "KeyboundStore",
                "KeyboundAudit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Incident response: contain a compromised key, hunt, and write the notices (resumable).
        .target(
            name: "KeyboundIncident",
            dependencies: ["Keybound", "KeyboundStore", "KeyboundAudit", "KeyboundHunt", "KeyboundPostgres",
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        // `keybound demo storm-0558`: the Storm-0558 drill, end to end in one process on simulated time.
        .target(
            name: "KeyboundDrill",
            dependencies: [
                "Keybound",
                "KeyboundLoopback",
                "KeyboundStore",
                "KeyboundServer",
                "KeyboundApp",
                "KeyboundAudit",
                "KeyboundHummingbird",
                "KeyboundValidation",
                "KeyboundMail",
                "KeyboundHunt",
                "KeyboundIncident",
                "KeyboundResourceKit",
                "KeyboundPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "keybound",
            dependencies: [
                "KeyboundDrill",
                "Keybound",
                "KeyboundStore",
                "KeyboundServer",
                "KeyboundApp",
                "KeyboundAudit",
                "KeyboundHummingbird",
                "KeyboundValidation",
                "KeyboundMail",
                "KeyboundFiles",
                "KeyboundResourceKit",
                "KeyboundHunt",
                "KeyboundIncident",
                "KeyboundPostgres",
                "KeyboundPKCS11",
                "CKeyboundProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The PKCS#11 interface: the standard `pkcs11.h` from Debian's libp11-kit-dev (installed
        // with it, self-contained) and a loader that `dlopen`s a module by path. Links nothing.
        .target(name: "CKeyboundPKCS11"),
        // `prctl` for the executable's process hardening (a variadic C function Swift cannot call).
        .target(name: "CKeyboundProcess"),
        // PKCS#11 key custody: signing keys generated and used inside a token, behind the core's
        // `SigningCustodian`. Every `C_*` call runs on its own NIO thread pool. The core never imports it.
        .target(
            name: "KeyboundPKCS11",
            dependencies: [
                "Keybound",
                "CKeyboundPKCS11",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Free loopback ports, for the drill and the testing products (no product of its own).
        .target(name: "KeyboundLoopback"),
        // Fuzz entry point. A plain build links the replay driver in CKeyboundFuzzReplay;
        // `swift build --sanitize fuzzer --product KeyboundFuzz` links libFuzzer's driver instead.
        .target(name: "CKeyboundFuzzReplay"),
        .executableTarget(
            name: "KeyboundFuzz",
            dependencies: ["Keybound", "CKeyboundFuzzReplay"]
        ),
        // Testing products. KeyboundTesting depends on the core (and the loopback-port helper): a fake issuer, its trust
        // store and a test clock (public); the process, port and PostgreSQL harness of Keybound's
        // own test targets (package access).
        .target(
            name: "KeyboundTesting",
            dependencies: ["Keybound", "KeyboundLoopback"]
        ),
        .target(
            name: "KeyboundHummingbirdTesting",
            dependencies: [
                "KeyboundTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // One test target per library, each depending only on its module, the modules that module
        // depends on (declared where a test imports them: a module imported only transitively is
        // not rebuilt against), and the testing products. `ModuleWallTests` checks it against
        // `swift package describe`. Fixtures that a module's
        // tests and the tests of a module above it share are one source file, linked into both
        // target directories, never a dependency between test targets.
        .testTarget(
            name: "KeyboundTests",
            dependencies: [
                "Keybound",
                "KeyboundTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "KeyboundPKCS11Tests",
            dependencies: ["KeyboundPKCS11", "Keybound", "KeyboundTesting"]
        ),
        .testTarget(
            name: "KeyboundStoreTests",
            dependencies: [
                "KeyboundStore",
                "KeyboundSQLite",
                "KeyboundPostgres",
                "Keybound",
                "KeyboundTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KeyboundValidationTests",
            dependencies: [
                "KeyboundHummingbird",
                "KeyboundValidation",
                "Keybound",
                "KeyboundTesting",
                "KeyboundHummingbirdTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KeyboundAuditTests",
            dependencies: [
                "KeyboundAudit",
                "Keybound",
                "KeyboundTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "KeyboundServerTests",
            dependencies: [
                "KeyboundServer",
                "KeyboundHummingbird",
                "KeyboundValidation",
                "KeyboundStore",
                "KeyboundPostgres",
                "Keybound",
                "KeyboundTesting",
                "KeyboundHummingbirdTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KeyboundMailTests",
            dependencies: [
                "KeyboundMail",
                "KeyboundAudit",
                "Keybound",
                "KeyboundTesting",
                "KeyboundHummingbirdTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Detection: the hunt and incident response.
        .testTarget(
            name: "KeyboundResourceTests",
            dependencies: [
                "KeyboundResourceKit",
                "KeyboundFiles",
                "KeyboundAudit",
                "KeyboundValidation",
                "Keybound",
                "KeyboundTesting",
                "KeyboundHummingbirdTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "KeyboundDetectionTests",
            dependencies: [
                "KeyboundHunt",
                "KeyboundAudit",
                "KeyboundStore",
                "KeyboundPostgres",
                "Keybound",
                "KeyboundIncident",
                "KeyboundTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The dump test's control (Tests/Fixtures/DumpFixture): loads keys the ordinary way, with
        // none of Keybound's protections, so that a scan of its core dump finds them.
        .executableTarget(
            name: "KeyboundDumpFixture",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/Fixtures/DumpFixture"
        ),
        // The only test target that may depend on several libraries and on the executable:
        // cross-process, crash, interop, multi-node and drill tests, and the command line.
        .testTarget(
            name: "KeyboundEndToEndTests",
            dependencies: [
                "KeyboundPKCS11",
                "KeyboundDrill",
                "KeyboundSQLite",
                "KeyboundPostgres",
                "Keybound",
                "KeyboundStore",
                "KeyboundServer",
                "KeyboundApp",
                "KeyboundHummingbird",
                "KeyboundValidation",
                "KeyboundAudit",
                "KeyboundMail",
                "KeyboundFiles",
                "KeyboundResourceKit",
                "KeyboundHunt",
                "KeyboundIncident",
                "KeyboundTesting",
                "KeyboundHummingbirdTesting",
                "keybound",
                "KeyboundDumpFixture",
                "CKeyboundProcess",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
