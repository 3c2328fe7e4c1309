import ArgumentParser
import Foundation
import Keybound
import KeyboundDrill
import KeyboundStore
import Logging

/// `keybound demo ...`: self-contained demonstrations.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Self-contained demonstrations (no setup, nothing left behind).",
        discussion: "See docs/demo.md.", subcommands: [StormDemoCommand.self])
}

/// `keybound demo storm-0558 [--days N] [--keep DIR] [--json]`.
struct StormDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storm-0558",
        abstract: "Replay the Storm-0558 attack against Keybound, end to end, on simulated time.",
        discussion: """
            Starts the provider, Keybound Mail and a second mail front end without the ledger check in this \
            process on 127.0.0.1, in a temporary data directory; runs a month of ordinary traffic; forges tokens with \
            the consumer realm's signing key; shows what a kid-only validator would have accepted; hunts; runs \
            `incident respond`; and checks that legitimate users keep working. Exit 0 when every expectation held, \
            1 when one did not (listed at the end), 2 when the drill could not run.
            """)

    @Option(help: ArgumentHelp("Days of ordinary traffic before the attack (\(StormDrillOptions.dayRange.lowerBound)-\(StormDrillOptions.dayRange.upperBound)).",
                               valueName: "n"))
    var days = 30
    @Option(help: ArgumentHelp("Keep the data directory (store, audit log, incident folder and notices) here; it must be new or empty.",
                               valueName: "dir"))
    var keep: String?
    @Option(help: ArgumentHelp("Run the provider's stores (keys, ledger, mail, audit log, incidents) in this empty PostgreSQL database; the KEK from KEYBOUND_KEK_FILE.",
                               valueName: "postgres://…"))
    var database: String?
    @Option(help: ArgumentHelp("Who holds the issuers' keys: software (sealed in the store) or pkcs11 (inside the token KEYBOUND_PKCS11_MODULE, KEYBOUND_PKCS11_TOKEN and KEYBOUND_PKCS11_PIN_FILE name; see docs/key-custody.md)."))
    var custody: KeyCustody = .software
    @Flag(help: "Print the result as JSON instead of the report.") var json = false
    @Flag(help: "Let the services' log lines (alerts included) through to stderr.") var verbose = false

    func validate() throws {
        guard StormDrillOptions.dayRange.contains(days) else {
            throw ValidationError("--days must be between \(StormDrillOptions.dayRange.lowerBound) and \(StormDrillOptions.dayRange.upperBound)")
        }
    }

    func run() async throws {
        let verbose = self.verbose
        LoggingSystem.bootstrap { label in
            if verbose { return StreamLogHandler.standardError(label: label) }
            // The alerts are part of the report; other services speak only on errors.
            if label == "keybound.alerts" { return SwiftLogNoOpLogHandler() }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        var custodian: (any KeyGeneratingCustodian)?
        if custody == .pkcs11 {
            custodian = try await KeyCustodySource.custodian()
            guard custodian != nil else { throw CLIError("--custody pkcs11 needs a token: set KEYBOUND_PKCS11_MODULE, KEYBOUND_PKCS11_TOKEN and KEYBOUND_PKCS11_PIN_FILE") }
        }
        let options = StormDrillOptions(days: days, keepDirectory: keep.map { URL(fileURLWithPath: $0, isDirectory: true) }, verbose: verbose,
                                        databaseURL: database, custodian: custodian)
        let json = self.json
        let result: StormDrillResult
        do {
            result = try await StormDrill.run(options) { line in if !json { say(line) } }
        } catch let error as StormDrillError {
            throw CLIError(error.description)
        }
        if json { say(JSONWriter(prettyPrinted: true).string(.object(result.jsonObject))) }
        if !result.passed { throw ExitCode(1) }
    }
}
