import ArgumentParser
import Foundation
import Keybound
import KeyboundServer
import KeyboundStore

extension ClientRecord.AuthenticationMethod: ExpressibleByArgument {}

/// `keybound client ...`: an issuer's OAuth clients, with the admin API's rules (shared code).
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Register and manage an issuer's OAuth clients (as the admin API does).",
        subcommands: [ClientCreateCommand.self, ClientListCommand.self, ClientShowCommand.self, ClientDisableCommand.self,
                      ClientEnableCommand.self, ClientRotateSecretCommand.self, ClientGrantRoleCommand.self])
}

/// `keybound client create`
struct ClientCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Register a client; a secret client's secret is printed once.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(name: .customLong("client-id"), help: "The client id (default: a random UUID).") var clientID: String?
    @Option(help: "A display name.") var name: String
    @Option(name: .customLong("auth-method"), help: "client_secret_basic, client_secret_post, private_key_jwt or none.")
    var method: ClientRecord.AuthenticationMethod
    @Option(name: .customLong("grant-type"), help: "authorization_code, client_credentials or refresh_token (repeat for several).")
    var grantTypes: [String] = []
    @Option(name: .customLong("redirect-uri"), help: "A redirect URI (repeat for several).") var redirectURIs: [String] = []
    @Option(name: .customLong("role"), help: "An application role '<audience>/<role>' (repeat for several).") var roles: [String] = []
    @Flag(name: .customLong("first-party"), help: "A first-party client (no consent page).") var firstParty = false
    @Option(name: .customLong("jwks"), help: "A file with the public JWK Set of a private_key_jwt client.") var jwksFile: String?

    func run() async throws {
        let directory = try await store.openDirectory()
        var new = DirectoryAdministration.NewClient(clientID: clientID, name: name, method: method, grantTypes: grantTypes)
        new.redirectURIs = redirectURIs
        new.roles = roles
        new.isFirstParty = firstParty
        if let jwksFile {
            guard let data = FileManager.default.contents(atPath: jwksFile) else { throw CLIError("cannot read --jwks file '\(jwksFile)'") }
            let keySet: JWKSet
            do { keySet = try JWKSet(json: Array(data)) } catch { throw CLIError("--jwks: not an acceptable key set: \(error)") }
            guard keySet.unusableKeys.isEmpty, !keySet.keys.isEmpty else { throw CLIError("--jwks: every key must be usable, and one at least") }
            new.jwks = String(decoding: data, as: UTF8.self)
        }
        let (client, secret) = try await storeCall { () async throws(StoreError) in try await directory.createClient(new, issuerID: issuer, now: store.now) }
        await store.recordChange("client.create", issuerID: client.issuerID, target: client.clientID)
        var object = StoreJSON.json(client)
        if let secret { object["client_secret"] = .string(secret) }
        store.emit(object, text: "created client \(client.clientID) of \(client.issuerID)" + (secret.map { "\nclient secret (shown once): \($0)" } ?? ""))
    }
}

/// `keybound client list`
struct ClientListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List an issuer's clients.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String

    func run() async throws {
        let directory = try await store.openDirectory()
        let clients = try await storeCall { () async throws(StoreError) in try await directory.clients(issuerID: issuer) }
        store.emit(JSONObject(["issuer": .string(issuer), "clients": .array(clients.map { .object(StoreJSON.json($0)) })]),
                   text: StoreOutput.table(["CLIENT", "METHOD", "GRANTS", "ROLES", "DISABLED"], clients.map {
                       [$0.clientID, $0.authenticationMethod.rawValue, $0.grantTypes.joined(separator: ","),
                        $0.roles.isEmpty ? "-" : $0.roles.joined(separator: ","), $0.isDisabled ? "yes" : "no"]
                   }))
    }
}

/// Options naming one client.
struct ClientSelection: ParsableArguments {
    @Option(help: "The issuer id.") var issuer: String
    @Option(name: .customLong("client"), help: "The client id.") var clientID: String
}

extension ClientSelection {
    /// Disables (or enables again) the selected client, records the change in the admin log when
    /// there was one (`client.disable` / `client.enable`), and prints the client.
    func setDisabled(_ disabled: Bool, store: StoreOptions) async throws(CLIError) {
        let directory = try await store.openDirectory()
        let (client, changed) = try await storeCall { () async throws(StoreError) in
            try await directory.setClientDisabled(disabled, issuerID: issuer, clientID: clientID)
        }
        if changed { await store.recordChange(disabled ? "client.disable" : "client.enable", issuerID: client.issuerID, target: client.clientID) }
        store.emit(StoreJSON.json(client), text: "client \(client.clientID) of \(client.issuerID) is \(disabled ? "disabled" : "enabled")")
    }
}

/// `keybound client show`
struct ClientShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one client (never its secret).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var selection: ClientSelection

    func run() async throws {
        let directory = try await store.openDirectory()
        let client = try await storeCall { () async throws(StoreError) in try await directory.client(issuerID: selection.issuer, clientID: selection.clientID) }
        let object = StoreJSON.json(client)
        store.emit(object, text: JSONWriter(prettyPrinted: true).string(.object(object)))
    }
}

/// `keybound client disable`
struct ClientDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a client: it can no longer get tokens.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var selection: ClientSelection

    func run() async throws { try await selection.setDisabled(true, store: store) }
}

/// `keybound client enable`
struct ClientEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled client again.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var selection: ClientSelection

    func run() async throws { try await selection.setDisabled(false, store: store) }
}

/// `keybound client rotate-secret`
struct ClientRotateSecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-secret", abstract: "Replace a secret client's secret (printed once; the old one stops working).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var selection: ClientSelection

    func run() async throws {
        let directory = try await store.openDirectory()
        let (client, secret) = try await storeCall { () async throws(StoreError) in
            try await directory.rotateSecret(issuerID: selection.issuer, clientID: selection.clientID)
        }
        await store.recordChange("client.secret.rotate", issuerID: client.issuerID, target: client.clientID)
        var object = StoreJSON.json(client)
        object["client_secret"] = .string(secret)
        store.emit(object, text: "new client secret for \(client.clientID) (shown once): \(secret)")
    }
}

/// `keybound client grant-role`
struct ClientGrantRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-role", abstract: "Grant application roles '<audience>/<role>' to a client (never to a consumer realm's).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var selection: ClientSelection
    @Option(name: .customLong("role"), help: "A role '<audience>/<role>' (repeat for several).") var roles: [String] = []

    func run() async throws {
        let directory = try await store.openDirectory()
        let client = try await storeCall { () async throws(StoreError) in
            try await directory.grantRoles(roles, issuerID: selection.issuer, clientID: selection.clientID)
        }
        await store.recordChange("client.roles.grant", issuerID: client.issuerID, target: client.clientID)
        store.emit(StoreJSON.json(client), text: "client \(client.clientID) of \(client.issuerID) holds: \(client.roles.joined(separator: ", "))")
    }
}
