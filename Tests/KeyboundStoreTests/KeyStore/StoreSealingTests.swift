import Foundation
import Keybound
import KeyboundStore
import Testing

/// Private keys are sealed at rest: no private component of any key (EC/Ed25519 `d`; RSA `d`, `p`,
/// `q`, `dp`, `dq`, `qi`), nor the KEK, appears in the data directory in raw bytes, hex, base64 or
/// base64url, neither while the store is open with its WAL nor after it is closed.
@Suite("Key store: sealing at rest")
struct StoreSealingTests {
    static let t0 = StoreClock.origin

    @Test("The scanner finds a secret planted in each encoding, at every alignment")
    func scannerFindsPlantedSecrets() async throws {
        let directory = try await StoreFixture().directory
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try SigningKey.generate(algorithm: .es256, issuer: StoreIssuers.url("planted"))
        let secret = try #require(StoreSecret.privateComponents(of: key).first)
        #expect(StoreSecret.privateComponents(of: key).map(\.label).allSatisfy { $0.hasSuffix(" d") })
        let hex = secret.bytes.map { String(format: "%02x", $0) }.joined()
        var planted: [(name: String, contents: [UInt8])] = [
            ("raw", [0x00, 0x01] + secret.bytes + [0xFF]),
            ("hex", Array("x=\(hex);".utf8)),
            ("HEX", Array("x=\(hex.uppercased());".utf8)),
        ]
        for offset in 0..<3 {
            let stream = Array(repeating: UInt8(0x41), count: offset) + secret.bytes + [0x42, 0x43, 0x44, 0x45, 0x46]
            planted.append(("base64@\(offset)", Array("{\"blob\":\"\(Data(stream).base64EncodedString())\"}".utf8)))
            planted.append(("base64url@\(offset)", Array("{\"blob\":\"\(Base64URL.encode(stream))\"}".utf8)))
        }
        for (name, contents) in planted {
            let file = directory.appendingPathComponent("planted-\(name)")
            try Data(contents).write(to: file)
            let findings = try StoreSecretScanner.findings(in: directory, secrets: [secret])
            #expect(findings.contains { $0.hasPrefix("planted-\(name): ") && $0.hasSuffix(" as \(name)") }, "\(name): \(findings)")
            try FileManager.default.removeItem(at: file)
        }
        #expect(try StoreSecretScanner.findings(in: directory, secrets: [secret]) == [])
    }

    /// Builds keys in every state for an issuer of `algorithm`, returns every secret, and checks
    /// the directory while this connection is still open (the WAL holds the writes).
    static func populateAndScanOpen(_ fixture: StoreFixture, algorithm: JWSAlgorithm) async throws -> [StoreSecret] {
        let issuer = StoreIssuers.tenant("sealed", algorithm: algorithm)
        let manager = try await fixture.open()
        try await manager.createIssuer(issuer)
        let rotation = Self.t0.addingTimeInterval(issuer.rotationPeriod)
        try await manager.tick(now: rotation.addingTimeInterval(-issuer.publishLeadTime))            // pending
        try await manager.tick(now: rotation)                                                        // active + verify-only
        try await manager.tick(now: rotation.addingTimeInterval(2 * StoreClock.hour))                 // retired
        try await manager.rotate(issuerID: issuer.id, now: rotation.addingTimeInterval(3 * StoreClock.hour))
        let doomed = try await #require(try manager.keys(issuer.id, in: .pending).first)
        try await manager.revoke(issuerID: issuer.id, keyID: doomed.keyID, reason: "test", actor: "ops", now: rotation.addingTimeInterval(4 * StoreClock.hour))
        try await manager.rotate(issuerID: issuer.id, now: rotation.addingTimeInterval(5 * StoreClock.hour))  // pending again

        let records = try await manager.keys(issuerID: issuer.id)
        #expect(Set(records.map(\.state)) == [.retired, .active, .revoked, .pending])
        var secrets: [StoreSecret] = []
        for record in records {
            let key = try await manager.unsealed(record)
            let components = StoreSecret.privateComponents(of: key)
            // ID-token keys are RS256 whatever the issuer's algorithm.
            #expect(components.count == ([.rs256, .ps256].contains(record.algorithm) ? 6 : 1), "\(record.keyID)")
            #expect(record.algorithm == record.purpose.algorithm(of: issuer))
            #expect(components.allSatisfy { $0.bytes.count >= 32 })
            secrets += components
            #expect(!record.publicJWK.contains("\"d\""))
        }
        secrets += StoreSecret.privateComponents(of: try await manager.signingKey(issuerID: issuer.id))
        secrets += StoreSecret.privateComponents(of: try await manager.signingKey(issuerID: issuer.id, purpose: .idToken))
        let kekBytes = try #require(Data(base64Encoded: fixture.kek.base64Text))
        secrets.append(StoreSecret(label: "KEK", bytes: Array(kekBytes)))

        let wal = fixture.directory.appendingPathComponent(SQLiteKeyStore.fileName + "-wal")
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal.path)[.size] as? NSNumber)?.intValue ?? 0
        #expect(walSize > 0, "the WAL should still hold the writes while the store is open")
        #expect(try StoreSecretScanner.findings(in: fixture.directory, secrets: secrets) == [], "store open, WAL present")
        return secrets
    }

    @Test("No private key material in the data directory, with the WAL and after closing", arguments: JWSAlgorithm.allCases)
    func noCleartext(algorithm: JWSAlgorithm) async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let secrets = try await Self.populateAndScanOpen(fixture, algorithm: algorithm)
        // Every connection is closed now: SQLite has checkpointed the WAL into the database file.
        let files = try StoreSecretScanner.files(in: fixture.directory).map(\.lastPathComponent)
        #expect(files.contains(SQLiteKeyStore.fileName))
        #expect(try StoreSecretScanner.findings(in: fixture.directory, secrets: secrets) == [], "store closed: \(files)")
        // And the sealed keys still open after the round trip through the file.
        let manager = try await fixture.open()
        await #expect(try SQLiteKeyStore(directory: fixture.directory).integrityCheck())
        await #expect(try manager.signingKey(issuerID: "sealed").algorithm == algorithm)
    }

    @Test("Each seal uses a fresh nonce: the same key sealed twice gives different bytes that both open")
    func freshNonce() async throws {
        let kek = KeyEncryptionKey.generate()
        let sealer = KeySealer(kek: kek)
        let key = try SigningKey.generate(algorithm: .edDSA, issuer: StoreIssuers.url("nonce"))
        let first = try await sealer.seal(key, issuerID: "nonce")
        let second = try await sealer.seal(key, issuerID: "nonce")
        #expect(first != second)
        await #expect(try await sealer.open(first, issuerID: "nonce", keyID: key.keyID).publicJWK.thumbprint == key.publicJWK.thumbprint)
        await #expect(try await sealer.open(second, issuerID: "nonce", keyID: key.keyID).publicJWK.thumbprint == key.publicJWK.thumbprint)
        let secret = try #require(StoreSecret.privateComponents(of: key).first)
        for form in secret.encodings {
            #expect(!StoreSecretScanner.contains(Data(first), form.bytes), "\(form.name)")
        }
    }

    @Test("A tampered sealed key does not open, and the error carries no key material")
    func tamperedSeal() async throws {
        let sealer = KeySealer(kek: .generate())
        let key = try SigningKey.generate(algorithm: .es256, issuer: StoreIssuers.url("tamper"))
        var sealed = try await sealer.seal(key, issuerID: "tamper")
        sealed[sealed.count / 2] ^= 0x01
        let error = try await #require(throws: StoreError.self) { try await sealer.open(sealed, issuerID: "tamper", keyID: key.keyID) }
        #expect(error.code == .wrongKEK)
        let secret = try #require(StoreSecret.privateComponents(of: key).first)
        #expect(secret.encodings.allSatisfy { !StoreSecretScanner.contains(Data(error.message.utf8), $0.bytes) })
        #expect(!"\(error)".contains(Base64URL.encode(secret.bytes)))
    }
}
