import Foundation

/// The sign-in flood benchmark (Benchmarks/load/signin-flood.sh): `serve` runs the provider,
/// `drive` measures client-credentials throughput and `/health` latency without and during a flood
/// of wrong-password sign-ins. See Benchmarks/README.md.
@main
struct SignInLoad {
    static func main() async throws {
        let options = SignInLoadOptions.parse(CommandLine.arguments)
        #if DEBUG
        FileHandle.standardError.write(Data("warning: a debug build; its figures mean nothing (use -c release)\n".utf8))
        #endif
        switch options.mode {
        case "serve": try await SignInLoadServer.run(options)
        default: try SignInLoadDriver(options: options).run()
        }
    }
}
