import Foundation
import Keybound
import KeyboundStore
import Testing

/// `rotateKEK` (and `keybound kek rotate --new-kek-file`) re-seals every key in one transaction:
/// the keys open under the new KEK only, with the same kids and public keys; one unreadable key
/// leaves everything as it was.
@Suite("Key store: KEK rotation")
struct StoreKEKRotationTests {
    static let t0 = StoreClock.origin

    @Test("rotateKEK re-seals every key: they open under the new KEK, not the old, with the same kids and public keys", arguments: StoreBackend.allCases)
    func rotate(backend: StoreBackend) async throws {
        let fixture = try await StorePopulated.make(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let before = try await manager.keys()
        let lastEvent = try await #require(try manager.latestEvent()).sequence
        let newKEK = KeyEncryptionKey.generate()
        let now = Self.t0.addingTimeInterval(3 * StoreClock.day)

        await #expect(try manager.rotateKEK(to: newKEK, now: now, actor: "ops") == before.count)

        let after = try await fixture.open(kek: newKEK).keys()
        #expect(after.map(\.keyID) == before.map(\.keyID))
        #expect(after.map(\.publicJWK) == before.map(\.publicJWK))
        #expect(after.map(\.state) == before.map(\.state))
        let newSealer = KeySealer(kek: newKEK)
        for (old, new) in zip(before, after) {
            #expect(new.kekFingerprint == newKEK.fingerprint)
            #expect(new.sealedPrivateKey != old.sealedPrivateKey)
            let opened = try await newSealer.open(new.sealedPrivateKey, issuerID: new.issuerID, keyID: new.keyID)
            #expect(opened.keyID == old.keyID)
            #expect(opened.publicJWK.thumbprint == (try await manager.sealer.open(old.sealedPrivateKey, issuerID: old.issuerID, keyID: old.keyID)).publicJWK.thumbprint)
            await #expect(throws: StoreError.self) { try await manager.sealer.open(new.sealedPrivateKey, issuerID: new.issuerID, keyID: new.keyID) }
        }
        let resealed = try await fixture.open(kek: newKEK).events(after: lastEvent)
        #expect(resealed.count == before.count && resealed.allSatisfy { $0.kind == .resealed && $0.actor == "ops" && $0.at == now })

        let oldError = try await #require(throws: StoreError.self) { try await fixture.open() }
        #expect(oldError.code == .wrongKEK)
        await #expect(throws: StoreError.self) { try await manager.signingKey(issuerID: "contoso") }

        let renewed = try await fixture.open(kek: newKEK)
        let issuer = StoreIssuers.tenant(algorithm: .rs256)
        let token = try StoreTokens.sign(try await renewed.signingKey(issuerID: issuer.id), issuer, iat: now)
        await #expect(try StoreTokens.verdict(renewed, token, now: now) == .verified)
    }

    @Test("rotateKEK is all or nothing: one unreadable key leaves every key sealed under the old KEK", arguments: StoreBackend.allCases)
    func rotateAtomic(backend: StoreBackend) async throws {
        let fixture = try await StorePopulated.make(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        var broken = try await #require(try manager.keys().last)
        broken.sealedPrivateKey[broken.sealedPrivateKey.count - 1] ^= 0x80
        let brokenRow = broken
        try await manager.store.write { try await $0.update(brokenRow) }
        let before = try await manager.keys()

        let error = try await #require(throws: StoreError.self) { try await manager.rotateKEK(to: .generate(), now: Self.t0.addingTimeInterval(3 * StoreClock.day)) }
        #expect(error.code == .wrongKEK)
        await #expect(try manager.keys() == before)
        await #expect(try fixture.open().keys().allSatisfy { $0.kekFingerprint == fixture.kek.fingerprint })
        await #expect(try manager.events().allSatisfy { $0.kind != .resealed })
    }

    @Test("keybound kek rotate --new-kek-file re-seals the store under the new KEK")
    func command() async throws {
        let fixture = try await StorePopulated.make()
        defer { fixture.remove() }
        let oldFile = try StoreCLI.writeKEKFile(fixture.kek.base64Text, near: fixture.directory)
        let newKEK = KeyEncryptionKey.generate()
        let newFile = try StoreCLI.writeKEKFile(newKEK.base64Text, near: fixture.directory)
        defer { for file in [oldFile, newFile] { try? FileManager.default.removeItem(atPath: file) } }
        let before = try await fixture.open().keys()
        let now = "\(Int(Self.t0.addingTimeInterval(3 * StoreClock.day).timeIntervalSince1970))"

        let rotated = try await StoreCLI.run(["kek", "rotate", "--data", fixture.directory.path, "--now", now, "--new-kek-file", newFile],
                                       environment: ["KEYBOUND_KEK_FILE": oldFile])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.contains(newKEK.fingerprint))
        let after = try await fixture.open(kek: newKEK).keys()
        #expect(after.map(\.keyID) == before.map(\.keyID))
        #expect(after.map(\.publicJWK) == before.map(\.publicJWK))
        #expect(after.allSatisfy { $0.kekFingerprint == newKEK.fingerprint })
        let error = try await #require(throws: StoreError.self) { try await fixture.open() }
        #expect(error.code == .wrongKEK)
    }
}
