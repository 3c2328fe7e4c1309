import ArgumentParser
import Foundation
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore

/// `keybound user ...`: an issuer's users, with the admin API's rules (shared code).
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list and disable an issuer's users (as the admin API does).",
        subcommands: [UserCreateCommand.self, UserListCommand.self, UserDisableCommand.self])
}

/// `keybound user create`
struct UserCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a user; the password is read from standard input (first line), never from a flag.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The sign-in name.") var username: String
    @Option(help: "The display name (default: the username).") var name: String?
    @Option(help: "The e-mail address.") var email: String?
    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost (10-16, default 12).") var cost: Int = 12
    @Option(name: .customLong("role"), help: ArgumentHelp(
        "A role to hold (repeat for several): '<audience>/<role>' of a resource of the issuer, or the console's Console.Operator (operator issuer) or Console.TenantAdmin (tenant issuer).",
        valueName: "role")) var roles: [String] = []

    func run() async throws {
        guard (10...16).contains(cost) else { throw CLIError("--bcrypt-cost must be between 10 and 16") }
        let roles = roles.map(Self.qualified)
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let password = String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let directory = try await store.openDirectory()
        let displayName = name ?? username
        try await storeCall { () async throws(StoreError) in
            try DirectoryAdministration.checkNewUser(username: username, password: password, name: displayName, email: email)
        }
        let hash = PasswordHasher.hash(password, cost: UInt8(cost))
        let user = try await storeCall { () async throws(StoreError) in
            try await directory.createUser(username: username, passwordHash: hash, name: displayName, email: email, roles: roles,
                                           issuerID: issuer, now: store.now)
        }
        await store.recordChange("user.create", issuerID: user.issuerID, target: user.username)
        store.emit(StoreJSON.json(user), text: "created user \(user.username) of \(user.issuerID) (sub \(user.subject))")
    }
}

extension UserCreateCommand {
    /// `Console.Operator` and `Console.TenantAdmin` as `keybound://console/<role>`; any other role as given.
    static func qualified(_ role: String) -> String {
        [ConsoleResource.operatorRole, ConsoleResource.tenantAdminRole].containsExactly(role) ? "\(ConsoleResource.audience)/\(role)" : role
    }
}

/// `keybound user list`
struct UserListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List an issuer's users.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String

    func run() async throws {
        let directory = try await store.openDirectory()
        let users = try await storeCall { () async throws(StoreError) in try await directory.users(issuerID: issuer) }
        store.emit(JSONObject(["issuer": .string(issuer), "users": .array(users.map { .object(StoreJSON.json($0)) })]),
                   text: StoreOutput.table(["USERNAME", "SUB", "NAME", "DISABLED"], users.map {
                       [$0.username, $0.subject, $0.displayName, $0.isDisabled ? "yes" : "no"]
                   }))
    }
}

/// `keybound user disable`
struct UserDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a user: no sign-in, no refresh.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id.") var issuer: String
    @Option(help: "The sign-in name.") var username: String

    func run() async throws {
        let directory = try await store.openDirectory()
        let (user, changed) = try await storeCall { () async throws(StoreError) in try await directory.setUserDisabled(true, issuerID: issuer, username: username) }
        if changed { await store.recordChange("user.disable", issuerID: user.issuerID, target: user.username) }
        store.emit(StoreJSON.json(user), text: "user \(user.username) of \(user.issuerID) is disabled")
    }
}
