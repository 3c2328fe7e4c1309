import ArgumentParser
import Foundation
import Keybound
import KeyboundStore

extension JWSAlgorithm: ExpressibleByArgument {}

/// `keybound keys generate`: an offline key pair for tests and tooling.
struct KeysGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a signing key bound to one issuer.",
        discussion: """
            Writes the private JWK to OUT/<kid>.private.jwk.json (mode 0600, never overwritten) and the \
            public key to OUT/jwks.json (appended to if it already holds keys of the same issuer). \
            Prints the kid and file paths as JSON; private key material is never printed.
            """
    )

    @Option(help: "Algorithm: ES256, ES384, EdDSA, RS256 or PS256.")
    var alg: JWSAlgorithm

    @Option(help: "The issuer URL the key belongs to (its 'issuer' member).")
    var issuer: String

    @Option(help: "Directory to write the key files to (created if needed).")
    var out: String

    @Option(help: "The kid (default: the RFC 7638 thumbprint).")
    var kid: String?

    func run() async throws {
        guard !issuer.isEmpty else { throw CLIError("--issuer must not be empty") }
        let key: SigningKey
        do {
            key = try SigningKey.generate(algorithm: alg, issuer: issuer, keyID: kid)
        } catch {
            throw CLIError("key generation failed: \(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create directory '\(out)'")
        }
        let directory = URL(fileURLWithPath: out)
        let jwksPath = directory.appendingPathComponent("jwks.json").path
        var publicKeys: [JSONValue] = []
        if FileManager.default.fileExists(atPath: jwksPath) {
            let existing: JWKSet
            do {
                existing = try JWKSet(json: try CLIInput.readFile(jwksPath, what: "key set"))
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("cannot add to '\(jwksPath)': \(error)")
            }
            guard existing.unusableKeys.isEmpty, existing.warnings.isEmpty else {
                throw CLIError("\(jwksPath) holds keys Keybound cannot use; use another --out")
            }
            for entry in existing.keys {
                guard let other = entry.issuer, Array(other.utf8) == Array(issuer.utf8) else {
                    throw CLIError("\(jwksPath) holds a key of issuer '\(entry.issuer ?? "(none)")'; one JWKS never mixes issuers (use another --out)")
                }
                if let existingID = entry.keyID, Array(existingID.utf8) == Array(key.keyID.utf8) {
                    throw CLIError("\(jwksPath) already holds a key with kid '\(key.keyID)'")
                }
                publicKeys.append(.object(entry.publicJSON))
            }
        }
        let safeName = key.keyID.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }
        guard safeName else { throw CLIError("--kid may contain only letters, digits, '-' and '_' for a file name") }
        let privatePath = directory.appendingPathComponent("\(key.keyID).private.jwk.json").path
        let privateJSON = JSONWriter(prettyPrinted: true).bytes(.object(key.exportPrivateJWK())) + [UInt8(ascii: "\n")]
        try storeCall { () throws(StoreError) in try SecretFile.create(privateJSON, at: URL(fileURLWithPath: privatePath)) }

        publicKeys.append(.object(key.publicJWK.publicJSON))
        let jwks = JSONWriter(prettyPrinted: true).bytes(.object(JSONObject(["keys": .array(publicKeys)]))) + [UInt8(ascii: "\n")]
        guard FileManager.default.createFile(atPath: jwksPath, contents: Data(jwks)) else {
            throw CLIError("cannot write '\(jwksPath)'")
        }
        CLIOutput.printJSON(JSONObject([
            "kid": .string(key.keyID), "alg": .string(key.algorithm.rawValue), "issuer": .string(issuer),
            "thumbprint": .string(key.publicJWK.thumbprint), "private_jwk": .string(privatePath), "jwks": .string(jwksPath),
        ]))
    }
}
