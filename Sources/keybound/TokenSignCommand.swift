import ArgumentParser
import Foundation
import Keybound

extension ExpectedTokenType: ExpressibleByArgument {}

/// `keybound token sign`: signs exactly the claims given.
struct TokenSignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a claims file with a private JWK and print the compact token.",
        discussion: "The key signs only claims whose 'iss' equals its own 'issuer' member."
    )

    @Option(help: "Private JWK file (as written by 'keybound keys generate').")
    var key: String

    @Option(help: "JSON file with the claims to sign, exactly as given.")
    var claims: String

    @Option(help: "The typ header: at+jwt or JWT.")
    var type: ExpectedTokenType = .accessToken

    func run() async throws {
        let signingKey: SigningKey
        do {
            signingKey = try SigningKey(privateJWK: try CLIInput.readFile(key, what: "private key"))
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot use '\(key)' as a signing key: \(error)")
        }
        let claimsObject = try CLIInput.jsonObject(try CLIInput.readFile(claims, what: "claims file"), what: "claims file '\(claims)'")
        do {
            print(try TokenSigner(key: signingKey).sign(claims: claimsObject, type: type.rawValue))
        } catch {
            throw CLIError("refused to sign: \(error)")
        }
    }
}
