import Foundation

/// Command-line options of the propagation benchmark (plain `CommandLine` parsing, as in
/// `KeyboundBenchmarks`): `--kind keys|tokens|both`, `--subscribers N`, `--revocations M`,
/// `--timeout S`, `--json FILE`; across nodes `--revoke-at URL --issuer URL [--audience A]`.
struct PropagationOptions: Sendable {
    /// What is revoked: signing keys (key-events), access tokens (token-events), or both in turn.
    enum Kind: String, Sendable { case keys, tokens, both }

    var kind = Kind.both
    /// Validators, each with its own `RemoteTrustStore` and `KeyEventSubscriber`.
    var subscribers = 8
    /// Revocations, one after the other.
    var revocations = 200
    /// How long one revocation may take to reach every subscriber before it counts as missed.
    var timeout: Duration = .seconds(10)
    /// The largest random pause between two revocations, so that they do not fall in step with
    /// the provider's 100 ms poll.
    var maximumPause: Duration = .milliseconds(150)
    /// Where to write the JSON results, if anywhere.
    var jsonPath: String?
    /// Across nodes: node A's base URL, where keys are revoked (see ``NodePropagation``).
    var revokeAt: String?
    /// Across nodes: the issuer's URL, as node B serves it.
    var issuerURL: String?
    /// Across nodes: the audience of the client's tokens.
    var audience = "api://mail"

    static let usage = """
        usage: KeyboundPropagation [--kind keys|tokens|both] [--subscribers N] [--revocations M] [--timeout S] [--json FILE]
               KeyboundPropagation --revoke-at URL --issuer URL [--audience A] [--subscribers N] [--revocations M] ...
          --kind K         keys (key-events), tokens (token-events) or both, one after the other (default both)
          --subscribers N  connected validators (default 8)
          --revocations M  revocations performed one after the other (default 200)
          --timeout S      seconds one revocation may take to reach every validator (default 10)
          --json FILE      also write the results as JSON to FILE
          --revoke-at URL  across nodes: revoke keys at node A (base URL; admin token in KEYBOUND_ADMIN_TOKEN,
                           a client's id:secret in KEYBOUND_BENCH_CLIENT) while the validators follow --issuer
          --issuer URL     across nodes: the issuer, as node B serves it
          --audience A     across nodes: the audience of the client's tokens (default api://mail)
        """

    /// Parses `arguments` (without the program name); exits with status 2 on a usage error.
    static func parse(_ arguments: [String]) -> PropagationOptions {
        var options = PropagationOptions()
        var iterator = arguments.makeIterator()
        func value(for flag: String) -> String {
            guard let value = iterator.next() else { fail("\(flag) needs a value") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "--kind":
                guard let kind = Kind(rawValue: value(for: argument)) else { fail("--kind is keys, tokens or both") }
                options.kind = kind
            case "--subscribers":
                guard let count = Int(value(for: argument)), (1...256).contains(count) else { fail("--subscribers must be 1…256") }
                options.subscribers = count
            case "--revocations":
                guard let count = Int(value(for: argument)), (1...100_000).contains(count) else { fail("--revocations must be 1…100000") }
                options.revocations = count
            case "--timeout":
                guard let seconds = Double(value(for: argument)), seconds > 0, seconds <= 600 else { fail("--timeout must be in (0, 600]") }
                options.timeout = .milliseconds(Int(seconds * 1_000))
            case "--json": options.jsonPath = value(for: argument)
            case "--revoke-at": options.revokeAt = value(for: argument)
            case "--issuer": options.issuerURL = value(for: argument)
            case "--audience": options.audience = value(for: argument)
            case "--help", "-h":
                print(usage)
                exit(0)
            default: fail("unknown option '\(argument)'")
            }
        }
        return options
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n\(usage)\n".utf8))
        exit(2)
    }
}
