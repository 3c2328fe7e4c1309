import ArgumentParser
import Foundation
import Keybound
import KeyboundServer
import KeyboundStore

/// `keybound resource ...`: an issuer's resources (token audiences) and the roles they define.
struct ResourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resource", abstract: "List an issuer's resources and define roles on them.",
        subcommands: [ResourceListCommand.self, ResourceAddRoleCommand.self])
}

/// `keybound resource list`
struct ResourceListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List an issuer's resources with their scopes and roles.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String

    func run() throws {
        let directory = try store.openDirectory()
        let resources = try storeCall { () throws(StoreError) in try directory.resources(issuerID: issuer) }
        store.emit(JSONObject(["issuer": .string(issuer), "resources": .array(resources.map { .object(Self.json($0)) })]),
                   text: StoreOutput.table(["AUDIENCE", "SCOPES", "ROLES"], resources.map {
                       [$0.audience, $0.scopes.joined(separator: ","), $0.roles.isEmpty ? "-" : $0.roles.joined(separator: ",")]
                   }))
    }

    static func json(_ resource: ResourceRecord) -> JSONObject {
        JSONObject(["audience": .string(resource.audience), "scopes": .array(resource.scopes.map(JSONValue.string)),
                    "roles": .array(resource.roles.map(JSONValue.string))])
    }
}

/// `keybound resource add-role`
struct ResourceAddRoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-role", abstract: "Define an application role on a resource (nothing changes if it is defined already).")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The resource audience, e.g. api://mail.") var audience: String
    @Option(help: "The role name, e.g. AuditLog.Read.All.") var role: String

    func run() throws {
        let directory = try store.openDirectory()
        let (resource, changed) = try storeCall { () throws(StoreError) in
            try directory.addResourceRole(role, audience: audience, issuerID: issuer)
        }
        store.emit(ResourceListCommand.json(resource),
                   text: changed ? "defined \(audience)/\(role) at \(issuer)" : "\(audience)/\(role) was already defined at \(issuer)")
    }
}
