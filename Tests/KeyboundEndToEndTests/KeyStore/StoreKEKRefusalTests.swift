import Foundation
import Keybound
import KeyboundStore
import Testing

/// A wrong or missing key-encryption key gives a clear error (`wrong_kek`, `missing_kek`,
/// `invalid_kek`) that names no secret, and leaves the stored data untouched.
@Suite("Key store: wrong or missing KEK")
struct StoreKEKRefusalTests {
    @Test("A wrong KEK is refused with wrong_kek, names no secret, and changes no data")
    func wrongKEK() async throws {
        let fixture = try await StorePopulated.make()
        defer { fixture.remove() }
        let snapshot = try await StoreSnapshot(fixture.directory)
        let before = try StoreSecretScanner.hashes(of: fixture.directory)
        let other = KeyEncryptionKey.generate()
        let error = try await #require(throws: StoreError.self) { try await fixture.open(kek: other) }
        #expect(error.code == .wrongKEK)
        #expect(error.message.contains("key-encryption key") && error.message.contains("nothing was changed"))
        #expect(!error.message.contains(other.base64Text) && !error.message.contains(fixture.kek.base64Text))
        let after = try StoreSecretScanner.hashes(of: fixture.directory)
        await #expect(try StoreSnapshot(fixture.directory) == snapshot, "the stored data changed")
        #expect(after == before, "the bytes of the data directory changed")
        // The right KEK still works afterwards.
        await #expect(try fixture.open().signingKey(issuerID: "consumers").issuer == StoreIssuers.url("consumers"))
    }

    @Test("While the store is in use, a wrong-KEK open writes nothing to the database or its WAL")
    func wrongKEKWhileOpen() async throws {
        let fixture = try await StorePopulated.make()
        defer { fixture.remove() }
        let running = try await fixture.open()   // a server holding the store open
        func dataFiles() throws -> [String: String] { try StoreSecretScanner.hashes(of: fixture.directory).filter { !$0.key.hasSuffix("-shm") } }
        let before = try dataFiles()
        #expect(before.keys.contains(SQLiteKeyStore.fileName + "-wal"))
        let error = try await #require(throws: StoreError.self) { try await fixture.open(kek: .generate()) }
        #expect(error.code == .wrongKEK)
        #expect(try dataFiles() == before)
        await #expect(try running.activeKey("consumers").state == .active)
    }

    @Test("A manager opened on an empty store cannot seal keys under a KEK other than the one the store has since adopted")
    func lateWrongKEK() async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let otherKEK = KeyEncryptionKey.generate()
        let first = try await fixture.open()                 // KEK A: both open an empty store, so both pass the check
        let second = try await fixture.open(kek: otherKEK)   // KEK B
        try await first.createIssuer(StoreIssuers.consumer("alpha"))
        let snapshot = try await StoreSnapshot(fixture.directory)
        let refusal = await #expect(throws: StoreError.self) { try await second.createIssuer(StoreIssuers.consumer("beta")) }
        #expect(refusal?.code == .wrongKEK)
        await #expect(try StoreSnapshot(fixture.directory) == snapshot)
        await #expect(throws: Never.self, "the store's own KEK still opens it") { try await fixture.open() }
    }

    @Test("A wrong KEK opens no sealed key")
    func wrongKEKSealer() async throws {
        let fixture = try await StorePopulated.make()
        defer { fixture.remove() }
        let wrong = KeySealer(kek: .generate())
        let records = try await fixture.open().keys()
        #expect(records.count == 9, "5 access-token keys and 4 ID-token keys (the rotations rotate both)")
        #expect(records.filter { $0.purpose == .accessToken }.count == 5)
        for record in records {
            let error = try await #require(throws: StoreError.self) { try await wrong.open(record.sealedPrivateKey, issuerID: record.issuerID, keyID: record.keyID) }
            #expect(error.code == .wrongKEK)
        }
    }

    @Test("With no KEK configured and sealed keys in the store, resolving fails with missing_kek and writes nothing")
    func missingKEK() async throws {
        let fixture = try await StorePopulated.make()
        defer { fixture.remove() }
        let store = try SQLiteKeyStore(directory: fixture.directory)
        let hasKeys = try await KeyManager.storeHasSealedKeys(store)
        #expect(hasKeys)
        let before = try StoreSecretScanner.hashes(of: fixture.directory)
        var warnings: [String] = []
        let error = try #require(throws: StoreError.self) {
            try KEKSource.resolve(environment: [:], dataDirectory: fixture.directory, storeHasSealedKeys: hasKeys) { warnings.append($0) }
        }
        #expect(error.code == .missingKEK)
        #expect(error.message.contains("KEYBOUND_KEK_FILE") && error.message.contains("KEYBOUND_KEK"))
        #expect(warnings == [])
        #expect(!FileManager.default.fileExists(atPath: KEKSource.developmentFile(in: fixture.directory).path), "no development KEK may be generated")
        #expect(try StoreSecretScanner.hashes(of: fixture.directory) == before)
    }

    @Test("Bad KEK configurations give clear errors", arguments: [
        (["KEYBOUND_KEK": "not base64!"], "invalid_kek"),
        (["KEYBOUND_KEK": Data(repeating: 7, count: 16).base64EncodedString()], "invalid_kek"),
        (["KEYBOUND_KEK_FILE": "/nonexistent/keybound.kek"], "missing_kek"),
    ])
    func badConfiguration(environment: [String: String], code: String) async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let error = try #require(throws: StoreError.self) {
            try KEKSource.resolve(environment: environment, dataDirectory: fixture.directory, storeHasSealedKeys: false) { _ in }
        }
        #expect(error.code.rawValue == code, "\(error.message)")
        #expect(!FileManager.default.fileExists(atPath: KEKSource.developmentFile(in: fixture.directory).path))
    }

    @Test("Without development KEKs allowed, an empty store still needs a configured KEK")
    func developmentDisallowed() async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let error = try #require(throws: StoreError.self) {
            try KEKSource.resolve(environment: [:], dataDirectory: fixture.directory, storeHasSealedKeys: false, allowDevelopmentKEK: false) { _ in }
        }
        #expect(error.code == .missingKEK)
    }

    @Test("An empty store gets a 0600 development KEK with a warning, reused afterwards; a configured KEK wins")
    func developmentKEK() async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        var warnings: [String] = []
        let generated = try KEKSource.resolve(environment: [:], dataDirectory: fixture.directory, storeHasSealedKeys: false) { warnings.append($0) }
        #expect(warnings.count == 1)
        let file = KEKSource.developmentFile(in: fixture.directory)
        let mode = (try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let again = try KEKSource.resolve(environment: [:], dataDirectory: fixture.directory, storeHasSealedKeys: true) { warnings.append($0) }
        #expect(again.fingerprint == generated.fingerprint)
        #expect(warnings.count == 1)
        let configured = KeyEncryptionKey.generate()
        let chosen = try KEKSource.resolve(environment: ["KEYBOUND_KEK": configured.base64Text], dataDirectory: fixture.directory, storeHasSealedKeys: true) { _ in }
        #expect(chosen.fingerprint == configured.fingerprint)
    }

    @Test("keybound refuses a wrong or missing KEK with a clear message and changes no data")
    func command() async throws {
        let fixture = try await StorePopulated.make()
        defer { fixture.remove() }
        let wrongFile = try StoreCLI.writeKEKFile(KeyEncryptionKey.generate().base64Text, near: fixture.directory)
        defer { try? FileManager.default.removeItem(atPath: wrongFile) }
        let now = "\(Int(StoreClock.at(3 * StoreClock.day).timeIntervalSince1970))"
        let snapshot = try await StoreSnapshot(fixture.directory)
        for (environment, expected) in [(["KEYBOUND_KEK_FILE": wrongFile], "key-encryption key"), ([:], "KEYBOUND_KEK_FILE")] {
            let hashes = try StoreSecretScanner.hashes(of: fixture.directory)
            let refused = try await StoreCLI.run(["keys", "tick", "--data", fixture.directory.path, "--now", now], environment: environment)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(expected), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: KEKSource.developmentFile(in: fixture.directory).path))
            let after = try StoreSecretScanner.hashes(of: fixture.directory)
            await #expect(try StoreSnapshot(fixture.directory) == snapshot, "a refused command changed the stored data")
            #expect(after == hashes, "a refused command changed the bytes of the data directory")
        }
    }
}
