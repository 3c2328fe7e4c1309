import Foundation
import Keybound

/// How to run ``StormDrill``.
package struct StormDrillOptions: Sendable {
    /// Days of ordinary traffic before the attack (3 to 90; default 30, a month).
    package var days: Int
    /// Keep the data directory here instead of a temporary one that is removed at the end. It must
    /// not exist yet, or be empty.
    package var keepDirectory: URL?
    /// Let the services' own log lines (alerts included) through to the logging system.
    package var verbose: Bool
    /// Run the provider's stores (keys, ledger, mail, the audit log, incidents) in this PostgreSQL
    /// database instead of the data directory (`postgres://…`); it must hold no issuer yet.
    package var databaseURL: String?
    /// Where the database password (`KEYBOUND_DATABASE_PASSWORD_FILE`, `PGPASSFILE`) and the KEK
    /// (`KEYBOUND_KEK_FILE`, `KEYBOUND_KEK`) come from, for ``databaseURL``.
    package var environment: [String: String]
    /// Keep every issuer's keys inside this PKCS#11 token (`demo storm-0558 --custody pkcs11`)
    /// instead of sealed in the store: the attacker then cannot copy the consumer key, only have
    /// the token sign while they control the provider, and the response destroys the key there.
    package var custodian: (any KeyGeneratingCustodian)?
    /// How long one of the drill's own HTTP requests may take, answer included (10 s by default).
    /// The tests give more: they run beside two hundred other suites on two cores, where a token
    /// request once took longer than 10 s.
    package var requestTimeout: Duration = .seconds(10)

    /// The allowed range of ``days``.
    package static let dayRange = 3...90

    /// Options; a month of traffic in a temporary directory by default.
    package init(days: Int = 30, keepDirectory: URL? = nil, verbose: Bool = false, databaseURL: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment, custodian: (any KeyGeneratingCustodian)? = nil) {
        self.days = days
        self.keepDirectory = keepDirectory
        self.verbose = verbose
        self.databaseURL = databaseURL
        self.environment = environment
        self.custodian = custodian
    }
}

/// Why the drill could not run at all (as opposed to an expectation that did not hold, which is
/// reported in ``StormDrillResult/expectations``).
package struct StormDrillError: Error, Sendable, CustomStringConvertible {
    /// One line for humans.
    package let description: String
    init(_ description: String) { self.description = description }
}
