import Foundation
import Testing
import KeyboundTesting

/// Runs the built `keybound` executable as a user would, capturing exit code, stdout and stderr.
struct CLIRunner {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String

        /// stdout parsed as one JSON object.
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        }
    }

    /// The `keybound` binary next to the test bundle (SwiftPM builds it because the tests depend on it).
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keybound")
    }

    /// Runs `keybound` with `arguments`; `environment` (when given) replaces the inherited one.
    /// Never blocks a Swift concurrency thread (see ``ChildProcess``).
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) async throws -> Outcome {
        let outcome = try await ChildProcess.run(executable, arguments, environment: environment, stdin: stdin)
        return Outcome(status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr)
    }

    /// A fresh temporary directory, removed by the caller with `cleanUp`.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Generates a key with `keybound keys generate` and returns (private JWK path, JWKS path, kid).
    static func generateKey(alg: String, issuer: String, in directory: URL) async throws -> (privateKey: String, jwks: String, kid: String) {
        let outcome = try await run(["keys", "generate", "--alg", alg, "--issuer", issuer, "--out", directory.path])
        try #require(outcome.status == 0, "keys generate failed: \(outcome.stderr)")
        let json = try #require(outcome.json)
        return (try #require(json["private_jwk"] as? String), try #require(json["jwks"] as? String), try #require(json["kid"] as? String))
    }

    /// Writes claims to a file and returns its path.
    static func writeClaims(_ claims: [String: Any], in directory: URL, name: String = "claims.json") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try JSONSerialization.data(withJSONObject: claims).write(to: URL(fileURLWithPath: path))
        return path
    }
}
