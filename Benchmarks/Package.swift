// swift-tools-version:6.1
// A separate package so the benchmark's baselines (jwt-kit) never become dependencies of Keybound.
import Foundation
import PackageDescription

/// The root package's identity: SwiftPM names a path dependency after its directory, `main` in the
/// main checkout and the worktree's name in a worktree.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "KeyboundBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/vapor/jwt-kit.git", exact: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        // The executable's malloc family with a per-thread allocation count (`--allocations`).
        .target(name: "CAllocationCounter"),
        .executableTarget(
            name: "KeyboundBenchmarks",
            dependencies: [
                "CAllocationCounter",
                .product(name: "Keybound", package: root),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // How fast a revocation reaches connected validators: keys through key-events, tokens through token-events.
        .executableTarget(
            name: "KeyboundPropagation",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Keybound", package: root),
                .product(name: "KeyboundStore", package: root),
                .product(name: "KeyboundServer", package: root),
                .product(name: "KeyboundHummingbird", package: root),
                .product(name: "KeyboundValidation", package: root),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Keybound Mail under load, four configurations side by side (Benchmarks/load/wrk-mail.sh).
        .executableTarget(
            name: "KeyboundMailLoad",
            dependencies: [
                .product(name: "Keybound", package: root),
                .product(name: "KeyboundApp", package: root),
                .product(name: "KeyboundStore", package: root),
                .product(name: "KeyboundServer", package: root),
                .product(name: "KeyboundHummingbird", package: root),
                .product(name: "KeyboundValidation", package: root),
                .product(name: "KeyboundMail", package: root),
                .product(name: "KeyboundAudit", package: root),
                .product(name: "KeyboundResourceKit", package: root),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Token and /health service during a flood of wrong-password sign-ins (Benchmarks/load/signin-flood.sh).
        .executableTarget(
            name: "KeyboundSignInLoad",
            dependencies: [
                .product(name: "KeyboundStore", package: root),
                .product(name: "KeyboundServer", package: root),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The remote forgery check's costs: fresh-token latency, throughput with and without it, memory (docs/issuance-feed.md).
        .executableTarget(
            name: "KeyboundIssuanceBench",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Keybound", package: root),
                .product(name: "KeyboundStore", package: root),
                .product(name: "KeyboundServer", package: root),
                .product(name: "KeyboundValidation", package: root),
                .product(name: "KeyboundResourceKit", package: root),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The hunt's full scan over a generated audit log of millions of records (docs/hunt.md).
        .executableTarget(
            name: "KeyboundHuntBench",
            dependencies: [
                .product(name: "Keybound", package: root),
                .product(name: "KeyboundStore", package: root),
                .product(name: "KeyboundAudit", package: root),
                .product(name: "KeyboundHunt", package: root),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
    ]
)
