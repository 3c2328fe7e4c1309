// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Keybound",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Keybound", targets: ["Keybound"]),
        .library(name: "KeyboundStore", targets: ["KeyboundStore"]),
        .executable(name: "keybound", targets: ["keybound"]),
        .executable(name: "KeyboundFuzz", targets: ["KeyboundFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
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
        // Issuers, key lifecycle, sealed private keys and key events; SQLite (GRDB) by default.
        .target(
            name: "KeyboundStore",
            dependencies: [
                "Keybound",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "keybound",
            dependencies: [
                "Keybound",
                "KeyboundStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz entry point. A plain build links the replay driver in CKeyboundFuzzReplay;
        // `swift build --sanitize fuzzer --product KeyboundFuzz` links libFuzzer's driver instead.
        .target(name: "CKeyboundFuzzReplay"),
        .executableTarget(
            name: "KeyboundFuzz",
            dependencies: ["Keybound", "CKeyboundFuzzReplay"]
        ),
        .testTarget(
            name: "KeyboundTests",
            dependencies: [
                "Keybound",
                "KeyboundStore",
                "keybound",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
    ]
)
