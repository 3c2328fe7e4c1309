import Testing
import Keybound

/// Proves that DER-encoded ECDSA signatures are never accepted as ES256 JWS signatures
/// (RFC 7518 §3.4 requires the 64-byte r ‖ s form): every signature of Wycheproof's DER P-256 file,
/// whatever its label, is rejected by `JWSPublicKey.isValidSignature(_:for:algorithm: .es256)`.
///
/// As a control, each `valid` DER signature is re-encoded as r ‖ s and must then verify, showing
/// that the keys (built from `publicKey.uncompressed`, as the file has no JWKs) and messages are
/// right and the rejection is due to the encoding alone.
@Suite("Wycheproof DER ECDSA corpus (negative for ES256)")
struct WycheproofDERCorpusTests {
    @Test("every DER signature is rejected as an ES256 JWS signature")
    func derSignaturesRejected() throws {
        let fileName = "ecdsa_secp256r1_sha256_test.json"
        let file = try WycheproofFile.load(fileName)
        var checked = 0
        var rawControls = 0
        var validCount = 0
        var failures: [String] = []

        for group in file.testGroups {
            let key = try WycheproofRunner.importKey(of: group)
            #expect(key.algorithm == .es256)
            for test in group.tests {
                let message = try #require(VectorEncoding.hex(test.msg))
                let der = try #require(VectorEncoding.hex(test.sig))
                checked += 1
                if key.publicKey.isValidSignature(der, for: message, algorithm: .es256) {
                    failures.append(WycheproofRunner.describe(test, in: fileName, problem: "DER signature accepted as ES256"))
                }
                switch test.result {
                case .valid:
                    validCount += 1
                    guard let raw = Self.rawSignature(fromDER: der, coordinateSize: 32) else {
                        failures.append(WycheproofRunner.describe(test, in: fileName, problem: "valid signature is not strict DER"))
                        continue
                    }
                    rawControls += 1
                    if !key.publicKey.isValidSignature(raw, for: message, algorithm: .es256) {
                        failures.append(WycheproofRunner.describe(test, in: fileName, problem: "control: r ‖ s form of a valid signature rejected"))
                    }
                case .invalid, .acceptable:
                    break
                }
            }
        }

        #expect(checked == 484)
        #expect(checked == file.numberOfTests, "numberOfTests disagrees with the tests checked")
        #expect(validCount == 174)
        #expect(rawControls == validCount)
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.joined(separator: "\n"))")
    }

    /// r ‖ s from a strict DER `SEQUENCE { INTEGER r, INTEGER s }` with short lengths, or `nil`.
    static func rawSignature(fromDER der: [UInt8], coordinateSize: Int) -> [UInt8]? {
        guard der.count >= 2, der[0] == 0x30, Int(der[1]) == der.count - 2, der[1] < 0x80 else { return nil }
        var index = 2
        var output: [UInt8] = []
        for _ in 0..<2 {
            guard index + 2 <= der.count, der[index] == 0x02, der[index + 1] < 0x80 else { return nil }
            let length = Int(der[index + 1])
            guard length > 0, index + 2 + length <= der.count else { return nil }
            let integer = Array(der[(index + 2)..<(index + 2 + length)].drop { $0 == 0 })
            guard integer.count <= coordinateSize else { return nil }
            output += [UInt8](repeating: 0, count: coordinateSize - integer.count) + integer
            index += 2 + length
        }
        return index == der.count ? output : nil
    }
}
