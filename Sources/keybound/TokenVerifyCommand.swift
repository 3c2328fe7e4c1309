import ArgumentParser
import Foundation
import Keybound

/// `keybound token verify`: full validation against trusted issuers.
struct TokenVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a token against trusted issuers and print the verdict as JSON.",
        discussion: """
            Each --trust ISS=FILE trusts the keys of FILE (a JWKS) for issuer ISS only; a key naming \
            another 'issuer' makes the file unusable. --jwks trusts a multi-issuer set, each key for its \
            own 'issuer' member only. A tenant is (issuer, tid): --tenant ISS=TID and --consumer ISS=TID             say which tid an issuer's tokens must carry; an issuer named without either has no tenant, so             a token of it that carries a tid is refused (tenant_mismatch). Keys whose 'issuer' is a             template ({tenantid}) take the tid the template needs. Exit 0 valid, 1 rejected, 2 bad input.
            """
    )

    @Option(name: .customLong("trust"), help: "ISS=JWKS_FILE: trust FILE's keys for issuer ISS (repeatable).")
    var trusts: [String] = []

    @Option(name: .customLong("jwks"), help: "A common JWKS whose keys carry a per-key 'issuer' (repeatable).")
    var commonKeySets: [String] = []

    @Option(name: .customLong("tenant"), help: "ISS=TID: issuer ISS is an enterprise tenant; its tokens carry exactly this tid (repeatable).")
    var tenants: [String] = []

    @Option(name: .customLong("consumer"), help: "ISS=TID: issuer ISS is a consumer realm; its tokens carry exactly this tid (repeatable).")
    var consumers: [String] = []

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

    func run() async throws {
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
        let tenancies = try statedTenancies()
        for entry in trusts {
            let (issuer, path) = try Self.pair(entry, option: "--trust", shape: "ISS=JWKS_FILE")
            do {
                let keySet = try JWKSet(json: try CLIInput.readFile(path, what: "key set"))
                let tenancy = tenancies[ExactString(issuer)] ?? .noTenant
                try store.add(TrustedIssuer(identifier: issuer, tenancy: tenancy, maximumTokenLifetime: maxLifetime, keySet: keySet))
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("cannot trust '\(path)' for '\(issuer)': \(error)")
            }
        }
        for path in commonKeySets {
            do {
                let keySet = try JWKSet(json: try CLIInput.readFile(path, what: "key set"))
                // Concrete issuers of the set: as stated, or no tenant.
                var stated: [String: Tenancy] = [:]
                for issuer in keySet.keys.map(\.issuer) + keySet.unusableKeys.map(\.issuer) {
                    guard let issuer, !issuer.contains(TrustStore.tenantPlaceholder) else { continue }
                    stated[issuer] = tenancies[ExactString(issuer)] ?? .noTenant
                }
                try store.addCommonKeySet(keySet, tenancies: stated, maximumTokenLifetime: maxLifetime)
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("cannot trust '\(path)': \(error)")
            }
        }
        return store
    }

    /// The tenancies --tenant and --consumer state, by exact issuer.
    private func statedTenancies() throws(CLIError) -> [ExactString: Tenancy] {
        var stated: [ExactString: Tenancy] = [:]
        for (entries, option, make) in [(tenants, "--tenant", Tenancy.tenant), (consumers, "--consumer", Tenancy.consumer)] {
            for entry in entries {
                let (issuer, tenantID) = try Self.pair(entry, option: option, shape: "ISS=TID")
                guard stated.updateValue(make(tenantID), forKey: ExactString(issuer)) == nil else {
                    throw CLIError("issuer '\(issuer)' is given a tenancy twice")
                }
            }
        }
        return stated
    }

    /// Splits `NAME=VALUE` at the first '='.
    private static func pair(_ entry: String, option: String, shape: String) throws(CLIError) -> (String, String) {
        guard let separator = entry.firstIndex(of: "="), separator != entry.startIndex, separator != entry.index(before: entry.endIndex) else {
            throw CLIError("\(option) takes \(shape), got '\(entry)'")
        }
        return (String(entry[..<separator]), String(entry[entry.index(after: separator)...]))
    }
}
