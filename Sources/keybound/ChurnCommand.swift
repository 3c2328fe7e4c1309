import ArgumentParser
import Foundation
import Keybound
import KeyboundStore

/// `keybound dev churn`: drives rotations and revocations in a loop on simulated time, one
/// committed transaction per step. The crash test kills it with SIGKILL at random moments and
/// checks the store afterwards. Hidden: it is a test and drill tool, not an operation.
struct DevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Development and test tools.", shouldDisplay: false, subcommands: [ChurnCommand.self])
}

struct ChurnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn", abstract: "Rotate and revoke keys in a loop on simulated time (crash tests).")

    @OptionGroup var store: StoreOptions
    @Option(help: "Steps to run (0 = until killed).") var steps = 0
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() async throws {
        // The parent as the process starts, before the store opens: a parent that exits while the
        // store is still opening (slow on a loaded machine) must still stop the loop below.
        let parent = getppid()
        let manager = try await store.openManager()
        var generator = SplitMix64(seed: seed ^ UInt64(ProcessInfo.processInfo.processIdentifier))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let existing = Set(try await storeCall({ () async throws(StoreError) in try await manager.issuers() }).map(\.id))
        // Each issuer is created in its own transaction: create whichever a killed first run left out.
        for (id, kind, tenant) in [("consumers", IssuerRecord.Kind.consumer, nil as String?), ("contoso", .tenant, "contoso-tid")]
        where !existing.contains(id) {
            let issuer = IssuerRecord(id: id, url: "https://login.keybound.test/\(id)", kind: kind, tenantID: tenant,
                                      algorithm: .es256, rotationPeriod: 86_400 * 3, publishLeadTime: 86_400,
                                      maximumTokenLifetime: 3_600, maximumKeyAge: 86_400 * 6, createdAt: start)
            _ = try await storeCall { () async throws(StoreError) in try await manager.createIssuer(issuer, actor: "churn") }
        }
        var step = 0
        // Run until killed, but never outlive the process that started it: a test run that died
        // must not leave a churn loop burning a core.
        while (steps == 0 || step < steps) && getppid() == parent {
            step += 1
            let last = try await storeCall { () async throws(StoreError) in try await manager.latestEvent() }
            // Up to 30 h past the last event, so pending keys (24 h lead) regularly come due.
            let now = (last?.at ?? start).addingTimeInterval(Double(generator.next() % 108_000 + 600))
            let issuerID = generator.next() % 2 == 0 ? "consumers" : "contoso"
            switch generator.next() % 12 {
            case 0:
                let purpose: KeyPurpose = generator.next() % 2 == 0 ? .accessToken : .idToken
                let active = try await storeCall { () async throws(StoreError) in try await manager.keys(issuerID: issuerID) }.first { $0.state == .active && $0.purpose == purpose }
                if let active {
                    try await storeCall { () async throws(StoreError) in
                        _ = try await manager.revoke(issuerID: issuerID, keyID: active.keyID, reason: "churn step \(step)", actor: "churn", now: now)
                    }
                }
            case 1:
                try await storeCall { () async throws(StoreError) in _ = try await manager.rotate(issuerID: issuerID, now: now, actor: "churn") }
            default:
                try await storeCall { () async throws(StoreError) in _ = try await manager.tick(now: now, actor: "churn") }
            }
            FileHandle.standardOutput.write(Data("step \(step)\n".utf8))
        }
    }
}

/// A small deterministic generator (SplitMix64) for reproducible churn.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
