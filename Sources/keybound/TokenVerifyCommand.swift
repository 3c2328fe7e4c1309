import ArgumentParser
import Foundation
import Keybound

/// `keybound token verify`: full validation against trusted issuers.
struct TokenVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a token against trusted issuers and print the verdict as JSON.",
        discussion: """
            Each --trust ISS=FILE trusts the keys of FILE (a JWKS) for issuer ISS only; a key naming \
            another 'issuer' makes the file unusable. --jwks trusts a multi-issuer set, each key for its \
            own 'issuer' member only. Exit 0 valid, 1 rejected, 2 bad input.
            """
    )

    @Option(name: .customLong("trust"), help: "ISS=JWKS_FILE: trust FILE's keys for issuer ISS (repeatable).")
    var trusts: [String] = []

    @Option(name: .customLong("jwks"), help: "A common JWKS whose keys carry a per-key 'issuer' (repeatable).")
    var commonKeySets: [String] = []

    @Option(help: "The audience the token must be for (exact match).")
    var audience: String

    @Option(help: "Token type: at+jwt (RFC 9068 access token) or JWT.")
    var type: ExpectedTokenType = .accessToken

    @Option(help: "Verify as of this UNIX time instead of now.")
    var now: Double?

    @Option(help: "Clock skew in seconds (0-300).")
    var skew: Double = 60

    @Option(name: .customLong("max-lifetime"), help: "Maximum exp - iat in seconds.")
    var maxLifetime: Double = TrustedIssuer.defaultMaximumTokenLifetime

    @Argument(help: "The token, or - to read it from standard input.")
    var token: String

    func validate() throws {
        guard !trusts.isEmpty || !commonKeySets.isEmpty else {
            throw ValidationError("give at least one --trust ISS=FILE or --jwks FILE")
        }
        guard maxLifetime.isFinite, maxLifetime > 0, maxLifetime <= 31_536_000 else {
            throw ValidationError("--max-lifetime must be a number of seconds between 1 and 31536000")
        }
        guard skew.isFinite else { throw ValidationError("--skew must be a number of seconds") }
        if let now { try CLIInput.validateUnixTime(now, option: "--now") }
    }

    func run() throws {
        let trust = try buildTrustStore()
        let policy: VerificationPolicy
        do {
            policy = try VerificationPolicy(audience: audience, tokenType: type, clockSkew: skew)
        } catch {
            throw CLIError(error.description)
        }
        let clock: VerificationClock = now.map { .fixed(Date(timeIntervalSince1970: $0)) } ?? .system
        let verifier = TokenVerifier(trust: trust, policy: policy, clock: clock)
        switch verifier.verify(try CLIInput.readToken(token)) {
        case .verified(let verified):
            CLIOutput.printJSON(JSONObject([
                "valid": .bool(true), "issuer": .string(verified.issuer), "kid": .string(verified.keyID),
                "claims": .object(verified.claims),
            ]))
        case .rejected(let rejection):
            CLIOutput.printJSON(CLIOutput.rejection(rejection))
            throw ExitCode(1)
        }
    }

    private func buildTrustStore() throws(CLIError) -> TrustStore {
        var store = TrustStore()
        for entry in trusts {
            guard let separator = entry.firstIndex(of: "="), separator != entry.startIndex, separator != entry.index(before: entry.endIndex) else {
                throw CLIError("--trust takes ISS=JWKS_FILE, got '\(entry)'")
            }
            let issuer = String(entry[..<separator])
            let path = String(entry[entry.index(after: separator)...])
            do {
                let keySet = try JWKSet(json: try CLIInput.readFile(path, what: "key set"))
                try store.add(TrustedIssuer(identifier: issuer, maximumTokenLifetime: maxLifetime, keySet: keySet))
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("cannot trust '\(path)' for '\(issuer)': \(error)")
            }
        }
        for path in commonKeySets {
            do {
                let keySet = try JWKSet(json: try CLIInput.readFile(path, what: "key set"))
                try store.addCommonKeySet(keySet, maximumTokenLifetime: maxLifetime)
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("cannot trust '\(path)': \(error)")
            }
        }
        return store
    }
}
