// swift-tools-version:6.1
// A separate package so the benchmark's baselines (jwt-kit) never become dependencies of Keybound.
import PackageDescription

let package = Package(
    name: "KeyboundBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/vapor/jwt-kit.git", exact: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .executableTarget(
            name: "KeyboundBenchmarks",
            dependencies: [
                .product(name: "Keybound", package: "main"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
)
