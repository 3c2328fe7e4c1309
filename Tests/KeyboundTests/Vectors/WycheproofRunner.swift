import Foundation
import Keybound

/// Runs a Wycheproof signature file through Keybound's JWS-level API: each group's key is imported
/// as a JWK (built from the raw form when the group has none), and each test's signature is checked
/// with `JWSPublicKey.isValidSignature(_:for:algorithm:)`.
enum WycheproofRunner {
    /// A group whose key Keybound refused at import.
    struct RefusedGroup {
        let code: KeyImportError.Code
        let reason: String
        let tests: [WycheproofTest]
    }

    /// One test whose signature was checked.
    struct Checked {
        let test: WycheproofTest
        /// Whether it verified under the file's algorithm.
        let accepted: Bool
        /// The other algorithms it verified under (only `WrongPrimitive` tests may have any).
        let acceptedUnder: [JWSAlgorithm]
    }

    /// What happened to one file.
    struct Outcome {
        let fileName: String
        let declaredTests: Int?
        var totalTests = 0
        var checked: [Checked] = []
        var refusedGroups: [RefusedGroup] = []
        /// One line per test whose outcome differs from what the vector and Keybound's policy require.
        var disagreements: [String] = []

        var refusedTests: [WycheproofTest] { refusedGroups.flatMap(\.tests) }
    }

    /// Runs every test of `fileName` under `algorithm`.
    ///
    /// - Parameter acceptable: Keybound's documented choice for an `acceptable` test with these flags:
    ///   `true` must verify, `false` must not, `nil` means no choice is documented, which is itself a disagreement.
    static func run(
        _ fileName: String,
        algorithm: JWSAlgorithm,
        acceptable: (Set<WycheproofFlag>) -> Bool?
    ) throws -> Outcome {
        let file = try WycheproofFile.load(fileName)
        var outcome = Outcome(fileName: fileName, declaredTests: file.numberOfTests)
        for group in file.testGroups {
            outcome.totalTests += group.tests.count
            let key: JWK
            do {
                key = try importKey(of: group)
            } catch let error as KeyImportError {
                outcome.refusedGroups.append(RefusedGroup(code: error.code, reason: error.reason, tests: group.tests))
                continue
            }
            if key.algorithm != algorithm {
                outcome.disagreements.append("\(fileName): group of tcIds \(group.tests.map(\.tcId)) imported bound to \(key.algorithm.rawValue), not \(algorithm.rawValue)")
            }
            for test in group.tests {
                guard let message = VectorEncoding.hex(test.msg), let signature = VectorEncoding.hex(test.sig) else {
                    outcome.disagreements.append(describe(test, in: fileName, problem: "msg or sig is not hex"))
                    continue
                }
                let accepted = key.publicKey.isValidSignature(signature, for: message, algorithm: algorithm)
                // A signature verifies under no other algorithm (no algorithm confusion), except a
                // `WrongPrimitive` one, which is genuine under the other RSA algorithm by construction;
                // the JWS layer stops that by binding each key to one `alg`.
                let acceptedUnder = JWSAlgorithm.allCases.filter { other in
                    other != algorithm && key.publicKey.isValidSignature(signature, for: message, algorithm: other)
                }
                outcome.checked.append(Checked(test: test, accepted: accepted, acceptedUnder: acceptedUnder))
                if !acceptedUnder.isEmpty, !test.flags.contains(.wrongPrimitive) {
                    outcome.disagreements.append(describe(test, in: fileName, problem: "accepted under \(acceptedUnder.map(\.rawValue)) as well"))
                }

                let mustVerify: Bool
                switch test.result {
                case .valid: mustVerify = true
                case .invalid: mustVerify = false
                case .acceptable:
                    guard let choice = acceptable(Set(test.flags)) else {
                        outcome.disagreements.append(describe(test, in: fileName, problem: "acceptable vector with no documented choice (got \(accepted ? "accepted" : "rejected"))"))
                        continue
                    }
                    mustVerify = choice
                }
                if accepted != mustVerify {
                    outcome.disagreements.append(describe(test, in: fileName, problem: "expected \(mustVerify ? "accept" : "reject"), got \(accepted ? "accepted" : "rejected")"))
                }
            }
        }
        return outcome
    }

    /// The group's key as a Keybound JWK: its own JWK when it has one, else one built from the raw form.
    static func importKey(of group: WycheproofGroup) throws -> JWK {
        let members = try group.jwk ?? jwkMembers(from: group.publicKey)
        var object = JSONObject()
        for (name, value) in members.sorted(by: { $0.key < $1.key }) { object[name] = .string(value) }
        return try JWK(jsonObject: object)
    }

    /// JWK members built from Wycheproof's raw key forms.
    static func jwkMembers(from raw: WycheproofRawKey?) throws -> [String: String] {
        struct Unusable: Error, CustomStringConvertible { let description: String }
        guard let raw else { throw Unusable(description: "the group has neither a JWK nor a raw public key") }
        if let curve = raw.curve, let uncompressed = raw.uncompressed.flatMap(VectorEncoding.hex) {
            let crv: String
            switch curve {
            case "secp256r1": crv = "P-256"
            case "secp384r1": crv = "P-384"
            default: throw Unusable(description: "curve \(curve) has no JWK name here")
            }
            let size = (uncompressed.count - 1) / 2
            guard uncompressed.first == 0x04, uncompressed.count == 1 + 2 * size else {
                throw Unusable(description: "publicKey.uncompressed is not 04 ‖ x ‖ y")
            }
            return ["kty": "EC", "crv": crv,
                    "x": VectorEncoding.base64URL(uncompressed[1...size]),
                    "y": VectorEncoding.base64URL(uncompressed[(size + 1)...])]
        }
        if let pk = raw.pk.flatMap(VectorEncoding.hex) {
            return ["kty": "OKP", "crv": "Ed25519", "x": VectorEncoding.base64URL(pk)]
        }
        if let modulus = raw.modulus.flatMap(VectorEncoding.hex), let exponent = raw.publicExponent.flatMap(VectorEncoding.hex) {
            return ["kty": "RSA",
                    "n": VectorEncoding.base64URL(modulus.drop { $0 == 0 }),
                    "e": VectorEncoding.base64URL(exponent.drop { $0 == 0 })]
        }
        throw Unusable(description: "the group's raw public key has no form this runner knows")
    }

    static func describe(_ test: WycheproofTest, in fileName: String, problem: String) -> String {
        "\(fileName) tcId \(test.tcId) [\(test.result.rawValue)] \"\(test.comment)\" flags \(test.flags.map(\.description)): \(problem)"
    }
}
