import ArgumentParser
import Foundation
import Keybound

/// `keybound token inspect`: decode without trusting, and explain what a verifier checks.
struct TokenInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Decode a token without trusting it and explain what a verifier would check.",
        discussion: "Nothing is verified. Exit 0 if the token is structurally sound, 1 if a verifier would refuse it before looking for a key."
    )

    @Option(help: "Token type to explain the checks for: at+jwt or JWT.")
    var type: ExpectedTokenType = .accessToken

    @Option(help: "Explain time checks as of this UNIX time instead of now.")
    var now: Double?

    @Argument(help: "The token, or - to read it from standard input.")
    var token: String

    func validate() throws {
        if let now { try CLIInput.validateUnixTime(now, option: "--now") }
    }

    func run() async throws {
        let date = now.map { Date(timeIntervalSince1970: $0) } ?? Date()
        let inspection = TokenInspection(token: try CLIInput.readToken(token), now: date, tokenType: type)
        var output = JSONObject([
            "verified": .bool(false),
            "header": inspection.header.map(JSONValue.object) ?? .null,
            "claims": inspection.claims.map(JSONValue.object) ?? .null,
            "signature_bytes": inspection.signatureLength.map { .number(Double($0)) } ?? .null,
            "checks": .array(inspection.checks.map(JSONValue.string)),
        ])
        if let rejection = inspection.structuralRejection {
            output["error"] = .string(rejection.code.rawValue)
            output["reason"] = .string(rejection.reason)
        }
        CLIOutput.printJSON(output)
        if inspection.structuralRejection != nil { throw ExitCode(1) }
    }
}
