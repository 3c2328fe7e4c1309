import Foundation
@testable import keybound
@testable import KeyboundStore
import Testing

/// Crash safety of the SQLite key store, with a real process and a real SIGKILL.
///
/// A child process (`keybound dev churn`) rotates, revokes and ticks two issuers in a loop, one
/// committed transaction per step, and is killed with SIGKILL at random moments, over and over on
/// the same data directory; each restart resumes from what the store holds. After every kill the
/// store is opened fresh and must be sound: it opens with the same KEK, `PRAGMA integrity_check`
/// is ok, each issuer has exactly one active key and at most one pending key, no key seen before
/// is lost or altered (public JWK and sealed private key unchanged, state only moving forward),
/// every key unseals with the KEK and holds the public key it publishes, revoked keys say when and
/// why, the event log runs 1, 2, 3, … with no gap and keeps what was seen before, and every key's
/// state is the one its last event records (key rows and events commit together).
///
/// Every event a reader in this process saw committed before a kill must still be there after it.
/// So the kills are known to land mid-work rather than on an idle or not-yet-started process, the
/// test also asserts that the committed event log grew between at least 80% of the kills.
/// A failing run prints its seed (`KEYBOUND_CRASH_SEED=<seed>` replays the test's kill timing; the
/// child's own choices also depend on its pid) and keeps its data directory and child logs.
@Suite("Key store: SIGKILL crash safety", .serialized)
struct KeyStoreCrashTests {
    static let kills = 100

    @Test("churn killed with SIGKILL at random moments never leaves the store broken or a key lost",
          .timeLimit(.minutes(10)))
    func sigkillDuringChurn() async throws {
        let seed = ProcessInfo.processInfo.environment["KEYBOUND_CRASH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        var random = CrashRandom(seed: seed)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-crash-\(UUID().uuidString)")
        let data = root.appendingPathComponent("data")
        let logs = root.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var keepDirectory = false
        defer { if !keepDirectory { try? FileManager.default.removeItem(at: root) } }
        let kek = KeyEncryptionKey.generate()
        let clock = ContinuousClock()
        let started = clock.now

        var snapshot = CrashSnapshot()
        var realKills = 0, advancedKills = 0, midWorkKills = 0, killsAfterSteps = 0, totalSteps = 0
        for run in 0..<Self.kills {
            let context = "seed \(seed), run \(run), data \(data.path)"
            let before = snapshot.events.count
            let child = try CrashChild(dataDirectory: data, kekBase64: kek.base64Text, logDirectory: logs, run: run,
                                       seed: random.next())
            // Most kills wait until the child has committed new key events (seen by a reader in
            // this process: only about one step in ten records any, as most ticks have nothing
            // due), then come a random 0–60 ms later, mid-loop: a step is a few milliseconds, most
            // of it inside a write transaction. One in eight comes blind, 5–300 ms after launch,
            // and may land while the child starts up or opens the store. The very first run always
            // gets its events, so both issuers exist before any kill.
            var observed: Int64 = 0
            if run == 0 || random.next() % 8 != 0 {
                guard child.waitForSteps(1, timeout: .seconds(30)),
                      let sequence = await CrashStoreCheck.waitForEvent(after: Int64(before), directory: data, timeout: .seconds(30),
                                                                  while: { child.process.isRunning }) else {
                    _ = child.kill()
                    child.process.waitBlocking()
                    keepDirectory = true
                    Issue.record("the child committed no new event (printed \(child.stepsPrinted) steps; \(context)); stderr: \(child.stderrText)")
                    return
                }
                observed = sequence
                CrashChild.sleep(.microseconds(Int(random.next() % 60_000)))
            } else {
                child.sleep(untilSinceStart: .milliseconds(Int(5 + random.next() % 296)))
            }
            let wasRunning = child.kill()
            child.process.waitBlocking()
            if wasRunning && child.diedOfSIGKILL {
                realKills += 1
            } else {
                keepDirectory = true
                Issue.record("the child exited by itself, ending \(child.process.termination.map { "\($0)" } ?? "none") (\(context)); stderr: \(child.stderrText)")
            }
            let steps = child.stepsPrinted
            totalSteps += steps
            if steps > 0 { killsAfterSteps += 1 }

            var (next, problems) = await CrashStoreCheck.check(directory: data, kek: kek, previous: snapshot)
            if Int64(next.events.count) < observed {
                problems.append("event \(observed) was seen committed before the kill, but the log now ends at \(next.events.count)")
            }
            if !problems.isEmpty {
                keepDirectory = true
                let list = problems.joined(separator: "\n")
                Issue.record("after kill \(run) (\(steps) steps committed in that run; \(context)):\n\(list)")
            }
            if next.events.count > before {
                advancedKills += 1
                if steps > 0 { midWorkKills += 1 }
            }
            snapshot = next
        }

        let elapsed = clock.now - started
        print("KeyStoreCrash: seed \(seed): \(realKills) SIGKILLs, \(advancedKills) after the event log advanced "
              + "(\(midWorkKills) of them mid-loop), \(killsAfterSteps) after ≥ 1 committed step, \(totalSteps) steps, \(snapshot.events.count) events, "
              + "\(snapshot.keys.count) keys, \(elapsed)")
        #expect(realKills >= 50, "only \(realKills) kills landed on a running child (seed \(seed))")
        #expect(advancedKills * 5 >= Self.kills * 4,
                "the event log advanced before only \(advancedKills) of \(Self.kills) kills (seed \(seed))")
        #expect(snapshot.events.count > 0 && snapshot.keys.count > 2, "no work was committed (seed \(seed))")
        if keepDirectory { print("KeyStoreCrash: kept \(root.path) for inspection") }
    }
}
