import ArgumentParser
import KeyboundServer
import Foundation

/// `keybound`: issuer-bound token tooling. Exit codes: 0 success or valid, 1 token rejected,
/// 2 bad flags, unreadable files or refused input.
@main
struct KeyboundCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keybound",
        abstract: "Issuer-bound identity tokens: keys, signing, strict verification.",
        discussion: "Exit codes: 0 = success or valid token, 1 = token rejected, 2 = bad flags, unreadable files or refused input.",
        subcommands: [ServeCommand.self, IssuerCommand.self, KeysCommand.self, KEKCommand.self, TokenCommand.self, JWSCommand.self, DevCommand.self, AuditCommand.self, MailCommand.self, IncidentCommand.self, HuntCommand.self, AdminLogCommand.self, DemoCommand.self, ClientCommand.self, UserCommand.self, ResourceCommand.self, PruneCommand.self, MigrateCommand.self]
    )

    static func main() async {
        // Before any command reads a key, the KEK or the audit signing key.
        ProcessHardening.forbidCoreDumps()
        for warning in EnvironmentVariables.warnings(for: ProcessInfo.processInfo.environment) {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("keybound: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            FileHandle.standardError.write(Data("keybound: \(line)\n".utf8))
            Foundation.exit(2)
        }
    }
}

/// `keybound keys ...`
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Signing keys: offline generation, and the lifecycle of stored keys.",
        subcommands: [KeysGenerateCommand.self, KeysListCommand.self, KeysShowCommand.self, KeysRotateCommand.self,
                      KeysRevokeCommand.self, KeysTickCommand.self, KeysStatusCommand.self])
}

/// `keybound token ...`
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Sign, verify and inspect tokens.",
        subcommands: [TokenSignCommand.self, TokenVerifyCommand.self, TokenInspectCommand.self])
}

/// `keybound jws ...`
struct JWSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jws", abstract: "Signature-level JWS operations.", subcommands: [JWSVerifyCommand.self])
}
