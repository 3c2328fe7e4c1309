import ArgumentParser
import Foundation
import Keybound
import KeyboundPKCS11
import KeyboundStore

extension KeyPurpose: ExpressibleByArgument {}

/// `keybound keys list`
struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys in every state (keys are never deleted).")
    @OptionGroup var store: StoreOptions
    @Option(help: "Only this issuer's keys.") var issuer: String?

    func run() async throws {
        let manager = try await store.openManager()
        let keys = try await storeCall { () async throws(StoreError) in try await manager.keys(issuerID: issuer) }
        if store.json {
            CLIOutput.printJSON(JSONObject(["keys": .array(keys.map { .object(StoreOutput.json($0, now: store.now)) })]))
        } else {
            print(StoreOutput.table(["ISSUER", "PURPOSE", "KID", "STATE", "ALG", "AGE", "CREATED"], keys.map { key in
                [key.issuerID, key.purpose.rawValue, key.keyID, key.state.rawValue, key.algorithm.rawValue,
                 key.activatedAt.map { DurationText.text(max(0, store.now.timeIntervalSince($0))) } ?? "-",
                 key.createdAt.formatted(.iso8601)]
            }))
        }
    }
}

/// `keybound keys show`
struct KeysShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one key and its public JWK.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The key's kid.") var kid: String

    func run() async throws {
        let manager = try await store.openManager()
        let keys = try await storeCall { () async throws(StoreError) in try await manager.keys(issuerID: issuer) }
        guard let key = keys.first(where: { $0.keyID == kid }) else { throw CLIError("issuer '\(issuer)' has no key '\(kid)'") }
        var object = StoreOutput.json(key, now: store.now)
        object["public_jwk"] = (try? StrictJSONParser.parse(Array(key.publicJWK.utf8))) ?? .null
        print(JSONWriter(prettyPrinted: !store.json).string(.object(object)))
    }
}

/// `keybound keys rotate`
struct KeysRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Rotate on demand: publish the next key now; it signs once the publish lead time has passed.",
        discussion: "Rotates the issuer's access-token key and its ID-token key, or only the one --purpose names.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "Only this key purpose: access-token or id-token (default: both).") var purpose: KeyPurpose?

    func run() async throws {
        let manager = try await store.openManager()
        let purposes = purpose.map { Set([$0]) } ?? Set(KeyPurpose.allCases)
        let applied = try await storeCall { () async throws(StoreError) in
            try await manager.rotate(issuerID: issuer, purposes: purposes, now: store.now, actor: store.actor)
        }
        await store.recordChange("key.rotate", issuerID: issuer, target: purpose?.rawValue ?? "")
        let keys = try await storeCall { () async throws(StoreError) in try await manager.keys(issuerID: issuer) }
        let pending = keys.filter { $0.state == .pending && purposes.contains($0.purpose) }.sorted { $0.purpose < $1.purpose }
        if store.json {
            var object = JSONObject([
                "transitions": .array(applied.map(StoreOutput.json)),
                "pending_keys": .array(pending.map { .object(StoreOutput.json($0, now: store.now)) }),
            ])
            // The access-token key's, as before key purposes.
            object["pending"] = pending.first { $0.purpose == .accessToken }.map { .object(StoreOutput.json($0, now: store.now)) } ?? .null
            CLIOutput.printJSON(object)
        } else if !pending.isEmpty {
            for key in pending {
                print("issuer \(issuer): \(key.purpose.keyName) \(key.keyID) is published and signs from \(key.scheduledActivation?.formatted(.iso8601) ?? "?")")
            }
        } else {
            applied.forEach { print(StoreOutput.json($0).stringValue ?? "") }
        }
    }
}

/// `keybound keys revoke`
struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a key at once; if it was active, a fresh key of the same purpose takes over immediately.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The key's kid.") var kid: String
    @Option(help: "Why (recorded with the revocation).") var reason: String

    func run() async throws {
        let manager = try await store.openManager()
        let revoked = try await storeCall { () async throws(StoreError) in
            try await manager.revoke(issuerID: issuer, keyID: kid, reason: reason, actor: store.actor, now: store.now)
        }
        await store.recordChange("key.revoke", issuerID: issuer, target: kid, reason: reason)
        let active = try await storeCall { () async throws(StoreError) in try await manager.keys(issuerID: issuer) }
            .first { $0.state == .active && $0.purpose == revoked.purpose }
        if store.json {
            CLIOutput.printJSON(JSONObject([
                "revoked": .object(StoreOutput.json(revoked, now: store.now)),
                "active": active.map { .object(StoreOutput.json($0, now: store.now)) } ?? .null,
            ]))
        } else {
            print("revoked \(revoked.purpose.keyName) \(kid) of issuer \(issuer); active \(revoked.purpose.keyName) is now \(active?.keyID ?? "none")")
        }
    }
}

/// `keybound keys tick`
struct KeysTickCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tick", abstract: "Apply every scheduled transition that is due (run it from cron, or let the server do it).")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let manager = try await store.openManager()
        let applied = try await storeCall { () async throws(StoreError) in try await manager.tick(now: store.now, actor: "engine") }
        if store.json {
            CLIOutput.printJSON(JSONObject(["transitions": .array(applied.map(StoreOutput.json))]))
        } else if applied.isEmpty {
            print("nothing due")
        } else {
            applied.forEach { print(StoreOutput.json($0).stringValue ?? "") }
        }
    }
}

/// `keybound keys status`: a monitoring check.
struct KeysStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every issuer's keys, ages and next transitions.",
        discussion: "Exits 1, with the reasons on stderr, when an active key is older than its issuer's maximum key age or a rotation is overdue: use it as a cron or monitoring check."
    )
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let manager = try await store.openManager()
        let report = try await storeCall { () async throws(StoreError) in try await manager.status(now: store.now) }
        if store.json {
            CLIOutput.printJSON(JSONObject([
                "healthy": .bool(report.isHealthy),
                "problems": .array(report.problems.map(JSONValue.string)),
                "issuers": .array(report.issuers.map { status in
                    var object = StoreOutput.json(status.issuer)
                    object["next_transition"] = status.nextTransition.map(JSONValue.string) ?? .null
                    object["keys"] = .array(status.keys.map { .object(StoreOutput.json($0, now: report.now)) })
                    return .object(object)
                }),
            ]))
        } else {
            for status in report.issuers {
                print("\(status.issuer.id) (\(status.issuer.url)): next: \(status.nextTransition ?? "-")")
                let rows = status.keys.filter { $0.state != .retired }.sorted { $0.purpose < $1.purpose }.map { key in
                    [key.purpose.rawValue, key.keyID, key.state.rawValue, key.algorithm.rawValue,
                     key.activatedAt.map { DurationText.text(max(0, report.now.timeIntervalSince($0))) } ?? "-"]
                }
                print(StoreOutput.table(["  PURPOSE", "KID", "STATE", "ALG", "AGE"], rows.map { ["  " + $0[0]] + $0.dropFirst() }))
            }
        }
        guard report.isHealthy else {
            for problem in report.problems { FileHandle.standardError.write(Data("keybound: \(problem)\n".utf8)) }
            throw ExitCode(1)
        }
    }
}

/// `keybound kek ...`
struct KEKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kek", abstract: "Manage the key-encryption key.", subcommands: [KEKRotateCommand.self, KEKCreateCommand.self])
}

/// `keybound kek create --pkcs11-label LABEL`
struct KEKCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Generate a key-encryption key inside the PKCS#11 token, which will never export it.",
        discussion: """
            The token is the one KEYBOUND_PKCS11_MODULE, KEYBOUND_PKCS11_TOKEN and KEYBOUND_PKCS11_PIN_FILE name. \
            Then either start a new store with KEYBOUND_KEK_PKCS11_LABEL set to the label, or move an existing \
            store onto it with `keybound kek rotate --new-kek-pkcs11-label`. A label the token holds already is refused.
            """
    )
    @Option(name: .customLong("pkcs11-label"), help: "The new key's label (CKA_LABEL), 1 to 64 bytes.") var label: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let token = try await TokenKEKSource.token(environment: ProcessInfo.processInfo.environment, purpose: "kek create")
        let kek: PKCS11KEK
        do { kek = try await PKCS11KEK.create(label: label, in: token) } catch { throw CLIError("\(error.message) (\(error.code.rawValue))") }
        if json {
            CLIOutput.printJSON(JSONObject(["pkcs11_label": .string(kek.label), "kek_fingerprint": .string(kek.fingerprint)]))
        } else {
            print("created key-encryption key '\(kek.label)' inside the token (fingerprint \(kek.fingerprint)); name it with \(TokenKEKSource.variable)")
        }
    }
}

/// `keybound kek rotate`
struct KEKRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Re-seal every private key under a new key-encryption key, in one transaction.",
        discussion: "The current KEK comes from KEYBOUND_KEK_FILE / KEYBOUND_KEK / KEYBOUND_KEK_PKCS11_LABEL (or the development file); afterwards configure the new one."
    )
    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("new-kek-file"), help: "File holding the new KEK (base64 of 32 bytes).") var newKEKFile: String?
    @Option(name: .customLong("new-kek-pkcs11-label"), help: "The new KEK is the key with this label inside the PKCS#11 token (keybound kek create).")
    var newKEKLabel: String?

    func validate() throws {
        guard (newKEKFile == nil) != (newKEKLabel == nil) else { throw ValidationError("give exactly one of --new-kek-file and --new-kek-pkcs11-label") }
    }

    func run() async throws {
        let manager = try await store.openManager()
        let newKEK: KeyEncryptionKey
        if let newKEKFile {
            newKEK = try storeCall { () throws(StoreError) in try KEKSource.read(file: URL(fileURLWithPath: newKEKFile)) }
        } else {
            let token = try await TokenKEKSource.token(environment: ProcessInfo.processInfo.environment, purpose: "--new-kek-pkcs11-label")
            do {
                newKEK = KeyEncryptionKey(custodian: try await PKCS11KEK.open(label: newKEKLabel ?? "", in: token))
            } catch {
                throw CLIError("cannot use the key-encryption key '\(newKEKLabel ?? "")' in the PKCS#11 token: \(error.message) (\(error.code.rawValue))")
            }
        }
        let count = try await storeCall { () async throws(StoreError) in try await manager.rotateKEK(to: newKEK, now: store.now, actor: store.actor) }
        await store.recordChange("kek.rotate", issuerID: nil, target: newKEK.fingerprint)
        if store.json {
            CLIOutput.printJSON(JSONObject(["resealed": .number(Double(count)), "kek_fingerprint": .string(newKEK.fingerprint)]))
        } else {
            print("re-sealed \(count) keys under key-encryption key \(newKEK.fingerprint); configure the new KEK now")
        }
    }
}
