import ArgumentParser
import Foundation
import Keybound
import KeyboundServer
import KeyboundStore

/// `keybound resource ...`: an issuer's resources (protected APIs), the roles they define and the
/// clients that serve them.
struct ResourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resource", abstract: "Manage an issuer's resources (protected APIs), their roles and their server clients.",
        discussion: "Works on the provider store (SQLite or PostgreSQL), like the admin API's /admin/issuers/{id}/resources. See docs/provider.md.",
        subcommands: [ResourceListCommand.self, ResourceSetCommand.self, ResourceAddRoleCommand.self, ResourceServerClientsCommand.self])
}

/// `keybound resource list --issuer ID`
struct ResourceListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List an issuer's resources.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String

    func run() async throws {
        let (_, resources) = try await ResourceCommand.open(store, issuer: issuer)
        let list = try await storeCall { () async throws(StoreError) in try await resources.resources(issuerID: issuer) }
        if store.json {
            CLIOutput.printJSON(JSONObject(["issuer": .string(issuer), "resources": .array(list.map { .object(ResourceCommand.json($0)) })]))
        } else {
            print(StoreOutput.table(["AUDIENCE", "SCOPES", "ROLES", "SERVER CLIENTS"], list.map { resource in
                [resource.audience, resource.scopes.joined(separator: " "), resource.roles.joined(separator: " "),
                 resource.serverClients.isEmpty ? "-" : resource.serverClients.joined(separator: " ")]
            }))
        }
    }
}

/// `keybound resource set --issuer ID --audience AUD [--scope S]… [--role R]… [--server-client C]…`
struct ResourceSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Register a resource, or replace the one with that audience (scopes, roles and server clients).")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The audience (aud), e.g. api://mail.") var audience: String
    @Option(name: .customLong("scope"), help: "A delegated scope, e.g. Mail.Read. Repeat for more.") var scopes: [String] = []
    @Option(name: .customLong("role"), help: "An application role, e.g. Mail.Read.All. Repeat for more.") var roles: [String] = []
    @Option(name: .customLong("server-client"), help: ArgumentHelp(
        "A confidential client of the same issuer that serves this audience. Repeat for more.", valueName: "client-id"))
    var serverClients: [String] = []

    func run() async throws {
        let (_, provider) = try await ResourceCommand.open(store, issuer: issuer)
        let resource = ResourceRecord(issuerID: issuer, audience: audience, scopes: scopes, roles: roles, serverClients: serverClients)
        try await storeCall { () async throws(StoreError) in try await provider.upsert(resource) }
        await store.recordChange("resource.register", issuerID: issuer, target: audience)
        ResourceCommand.report(resource, json: store.json)
    }
}

/// `keybound resource add-role --issuer ID --audience AUD --role R`
struct ResourceAddRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-role", abstract: "Define an application role on a resource (nothing changes if it is defined already).")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The resource audience, e.g. api://mail.") var audience: String
    @Option(help: "The role name, e.g. AuditLog.Read.All.") var role: String

    func run() async throws {
        let directory = try await store.openDirectory()
        let (resource, changed) = try await storeCall { () async throws(StoreError) in
            try await directory.addResourceRole(role, audience: audience, issuerID: issuer)
        }
        if changed { await store.recordChange("resource.role.add", issuerID: issuer, target: audience) }
        store.emit(ResourceCommand.json(resource),
                   text: changed ? "defined \(audience)/\(role) at \(issuer)" : "\(audience)/\(role) was already defined at \(issuer)")
    }
}

/// `keybound resource server-clients --issuer ID --audience AUD [--client C]…`
struct ResourceServerClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server-clients",
        abstract: "Set which confidential clients serve a resource (none given: remove them all).",
        discussion: """
            A server client may introspect the access tokens of the resource's audience and follow their \
            revocations on /<issuer>/token-events; it also gets a reserved key-events stream.
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The audience (aud) of an existing resource.") var audience: String
    @Option(name: .customLong("client"), help: "A confidential client id of the same issuer. Repeat for more.") var clients: [String] = []

    func run() async throws {
        let (_, provider) = try await ResourceCommand.open(store, issuer: issuer)
        guard var resource = try await storeCall({ () async throws(StoreError) in try await provider.resource(issuerID: issuer, audience: audience) }) else {
            throw CLIError("issuer '\(issuer)' has no resource '\(audience)' (create it with `keybound resource set`)")
        }
        resource.serverClients = clients
        try await storeCall { () async throws(StoreError) in try await provider.upsert(resource) }
        await store.recordChange("resource.server-clients.set", issuerID: issuer, target: audience)
        ResourceCommand.report(resource, json: store.json)
    }
}

extension ResourceCommand {
    /// The key manager (checking that `issuer` exists) and the provider store.
    static func open(_ store: StoreOptions, issuer: String) async throws(CLIError) -> (KeyManager, any ProviderStore) {
        let (manager, provider) = try await store.openManagerAndProviderStore()
        _ = try await storeCall { () async throws(StoreError) in try await manager.issuer(id: issuer) }
        return (manager, provider)
    }

    static func json(_ resource: ResourceRecord) -> JSONObject { StoreJSON.json(resource) }

    static func report(_ resource: ResourceRecord, json: Bool) {
        if json {
            CLIOutput.printJSON(Self.json(resource))
        } else {
            let served = resource.serverClients.isEmpty ? "no server clients" : "served by \(resource.serverClients.joined(separator: ", "))"
            print("resource \(resource.audience) of issuer \(resource.issuerID): \(served)")
        }
    }
}
