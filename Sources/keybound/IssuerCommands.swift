import ArgumentParser
import Foundation
import Keybound
import KeyboundStore

extension IssuerRecord.Kind: ExpressibleByArgument {}
extension KeyCustody: ExpressibleByArgument {}

/// `keybound issuer ...`
struct IssuerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issuer", abstract: "Create and list identity systems (issuers).",
        subcommands: [IssuerCreateCommand.self, IssuerListCommand.self, IssuerShowCommand.self])
}

/// `keybound issuer create`
struct IssuerCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an issuer and its initial signing key.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Short name: a-z, 0-9 and '-'.") var id: String
    @Option(help: "The issuer URL (the tokens' iss).") var url: String
    @Option(help: "consumer, tenant, or operator (the one issuer of this store's operators, whose users may hold Console.Operator).") var kind: IssuerRecord.Kind
    @Option(name: .customLong("tenant-id"), help: "The tenant id (tid) of a tenant issuer (a consumer realm's is generated).") var tenantID: String?
    @Option(help: "Signing algorithm.") var alg: JWSAlgorithm = .es256
    @Option(name: .customLong("rotation-period"), help: "e.g. 30d.") var rotationPeriod = "30d"
    @Option(name: .customLong("publish-lead"), help: "How long a new key is published before it signs, e.g. 24h.") var publishLead = "24h"
    @Option(name: .customLong("max-token-lifetime"), help: "e.g. 1h.") var maxTokenLifetime = "1h"
    @Option(name: .customLong("max-key-age"), help: "e.g. 90d.") var maxKeyAge = "90d"
    @Option(help: ArgumentHelp("Who holds the private keys: software (sealed under the KEK) or pkcs11 (generated and used inside the token that KEYBOUND_PKCS11_MODULE, KEYBOUND_PKCS11_TOKEN and KEYBOUND_PKCS11_PIN_FILE name). Fixed for the issuer's life."))
    var custody: KeyCustody = .software

    func run() async throws {
        func duration(_ text: String, _ option: String) throws(CLIError) -> TimeInterval {
            guard let value = DurationText.parse(text) else { throw CLIError("\(option) takes a duration like 30d, 24h, 15m or 90s, not '\(text)'") }
            return value
        }
        let issuer = IssuerRecord(
            id: id, url: url, kind: kind, tenantID: tenantID, algorithm: alg,
            rotationPeriod: try duration(rotationPeriod, "--rotation-period"), publishLeadTime: try duration(publishLead, "--publish-lead"),
            maximumTokenLifetime: try duration(maxTokenLifetime, "--max-token-lifetime"), maximumKeyAge: try duration(maxKeyAge, "--max-key-age"),
            createdAt: store.now, custody: custody)
        let manager = try await store.openManager()
        _ = try await storeCall { () async throws(StoreError) in try await manager.createIssuer(issuer, actor: store.actor) }
        await store.recordChange("issuer.create", issuerID: issuer.id)
        let keys = try await storeCall { () async throws(StoreError) in try await manager.keys(issuerID: issuer.id) }
        let created = try await storeCall { () async throws(StoreError) in try await manager.issuer(id: issuer.id) }
        if store.json {
            var object = StoreOutput.json(created)
            object["keys"] = .array(keys.map { .object(StoreOutput.json($0, now: store.now)) })
            CLIOutput.printJSON(object)
        } else {
            let active = { (purpose: KeyPurpose) in keys.first { $0.purpose == purpose && $0.state == .active }?.keyID ?? "?" }
            let where_ = created.custody == .pkcs11 ? ", both inside the PKCS#11 token" : ""
            print("created issuer \(issuer.id) (\(issuer.url), tid \(created.tenantID ?? "?")) with active key \(active(.accessToken)) and ID-token key \(active(.idToken)) (RS256)\(where_)")
        }
    }
}

/// `keybound issuer list`
struct IssuerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List issuers.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let manager = try await store.openManager()
        let issuers = try await storeCall { () async throws(StoreError) in try await manager.issuers() }
        if store.json {
            CLIOutput.printJSON(JSONObject(["issuers": .array(issuers.map { .object(StoreOutput.json($0)) })]))
        } else {
            print(StoreOutput.table(["ID", "KIND", "TENANT", "ALG", "URL"],
                                    issuers.map { [$0.id, $0.kind.rawValue, $0.tenantID ?? "-", $0.algorithm.rawValue, $0.url] }))
        }
    }
}

/// `keybound issuer show`
struct IssuerShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one issuer and its keys.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String

    func run() async throws {
        let manager = try await store.openManager()
        let record = try await storeCall { () async throws(StoreError) in try await manager.issuer(id: issuer) }
        let keys = try await storeCall { () async throws(StoreError) in try await manager.keys(issuerID: issuer) }
        var object = StoreOutput.json(record)
        object["keys"] = .array(keys.map { .object(StoreOutput.json($0, now: store.now)) })
        if store.json {
            CLIOutput.printJSON(object)
        } else {
            print(JSONWriter(prettyPrinted: true).string(.object(object)))
        }
    }
}
