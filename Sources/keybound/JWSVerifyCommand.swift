import ArgumentParser
import Foundation
import Keybound

/// `keybound jws verify`: signature-level verification, no claim checks.
struct JWSVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a compact JWS signature with a JWK or a JWKS (no claim checks).",
        discussion: "With a single JWK the kid is optional (if both have one they must match); with a JWKS the token's kid selects the key. Exit 0 valid, 1 rejected, 2 bad input."
    )

    @Option(help: "A JWK or JWKS file.")
    var jwk: String

    @Argument(help: "The compact JWS, or - to read it from standard input.")
    var token: String

    func run() async throws {
        let bytes = try CLIInput.readFile(jwk, what: "key file")
        let object = try CLIInput.jsonObject(bytes, what: "key file '\(jwk)'")
        let verifier: JWSVerifier
        do {
            verifier = object["keys"] != nil ? JWSVerifier(keySet: try JWKSet(jsonObject: object))
                                             : JWSVerifier(key: try JWK(jsonObject: object))
        } catch {
            throw CLIError("cannot use '\(jwk)': \(error)")
        }
        switch verifier.verify(try CLIInput.readToken(token)) {
        case .success(let verified):
            CLIOutput.printJSON(JSONObject([
                "valid": .bool(true), "alg": .string(verified.algorithm.rawValue),
                "kid": verified.keyID.map(JSONValue.string) ?? .null,
                // RFC 7515 allows an empty payload: 0 here is a valid JWS, though no token.
                "payload_bytes": .number(Double(verified.payload.count)),
            ]))
        case .failure(let rejection):
            CLIOutput.printJSON(CLIOutput.rejection(rejection))
            throw ExitCode(1)
        }
    }
}
