import Foundation

/// The failures remembered per key under one ``BackoffPolicy``, bounded to `policy.capacity` keys.
///
/// A key is remembered while an attempt for it is in flight and afterwards only if a failure is
/// recorded for it: an attempt that was throttled, shed or succeeded leaves nothing behind, so the
/// table grows at most as fast as passwords are hashed, and never beyond the capacity.
struct BackoffTable<Key: Hashable & Sendable>: Sendable {
    struct Entry: Sendable {
        /// Failures not yet forgotten.
        var failures = 0
        /// When failures were last decayed (the first failure's time, then moved on per decay step).
        var decayedAt = Date.distantPast
        /// No attempt before this.
        var blockedUntil = Date.distantPast
        /// Attempts let through and not yet finished.
        var pending = 0
        /// The last change, for evicting the oldest.
        var touchedAt = Date.distantPast
    }

    /// What the table says about an attempt now.
    enum Verdict: Equatable {
        case allowed
        /// Wait this many seconds (at least 1).
        case wait(Int)
    }

    let policy: BackoffPolicy
    private(set) var entries: [Key: Entry] = [:]

    init(policy: BackoffPolicy) {
        self.policy = policy
    }

    var count: Int { entries.count }

    /// Whether an attempt for `key` may go ahead at `now`. Beyond the allowance only one attempt is
    /// in flight at a time: the others wait for its outcome.
    func verdict(for key: Key, now: Date) -> Verdict {
        guard var entry = entries[key] else { return .allowed }
        decay(&entry, now: now)
        if now < entry.blockedUntil { return .wait(Self.seconds(entry.blockedUntil.timeIntervalSince(now))) }
        if entry.pending > 0 && entry.failures + entry.pending >= policy.allowance {
            return .wait(Self.seconds(policy.delay(afterFailures: entry.failures + entry.pending)))
        }
        return .allowed
    }

    /// An attempt for `key` goes ahead (after an `.allowed` verdict). It is counted as in flight
    /// until ``finish(_:failed:now:)``.
    mutating func begin(_ key: Key, now: Date) {
        var entry: Entry
        if let existing = entries[key] {
            entry = existing
            decay(&entry, now: now)
        } else {
            makeRoom(now: now)
            entry = Entry()
        }
        entry.pending += 1
        entry.touchedAt = now
        entries[key] = entry
    }

    /// The attempt begun for `key` ended: `failed` (a wrong password or unknown user), succeeded, or
    /// `nil` when it never ran (shed).
    mutating func finish(_ key: Key, failed: Bool?, now: Date) {
        // The entry can be missing if a full table evicted it meanwhile.
        var entry = entries[key] ?? Entry()
        decay(&entry, now: now)
        entry.pending = max(0, entry.pending - 1)
        switch failed {
        case true?:
            if entry.failures == 0 { entry.decayedAt = now }
            entry.failures += 1
            let delay = policy.delay(afterFailures: entry.failures)
            if delay > 0 { entry.blockedUntil = max(entry.blockedUntil, now.addingTimeInterval(delay)) }
        case false?:
            if policy.resetsOnSuccess {
                entry.failures = 0
                entry.blockedUntil = .distantPast
            }
        case nil:
            break
        }
        entry.touchedAt = now
        if isIdle(entry, now: now) {
            entries[key] = nil
        } else {
            if entries[key] == nil { makeRoom(now: now) }
            entries[key] = entry
        }
    }

    /// Forgets one failure per decay interval since the last step.
    private func decay(_ entry: inout Entry, now: Date) {
        guard entry.failures > 0, policy.decayInterval > 0 else { return }
        let steps = Int(max(0, now.timeIntervalSince(entry.decayedAt)) / policy.decayInterval)
        guard steps > 0 else { return }
        entry.failures = max(0, entry.failures - steps)
        entry.decayedAt = entry.decayedAt.addingTimeInterval(Double(steps) * policy.decayInterval)
    }

    /// An entry that says nothing any more: no failures, nothing in flight, no wait.
    private func isIdle(_ entry: Entry, now: Date) -> Bool {
        entry.failures == 0 && entry.pending == 0 && entry.blockedUntil <= now
    }

    /// Before a new key is added to a full table: forget the idle entries, then the least recently
    /// touched, down to three quarters of the capacity (so the sweep runs at most once per quarter
    /// of the capacity of new keys).
    private mutating func makeRoom(now: Date) {
        guard entries.count >= policy.capacity else { return }
        let target = max(0, policy.capacity * 3 / 4)
        for (key, var entry) in entries {
            decay(&entry, now: now)
            if isIdle(entry, now: now) { entries[key] = nil }
        }
        guard entries.count > target else { return }
        let oldest = entries.sorted { $0.value.touchedAt < $1.value.touchedAt }.prefix(entries.count - target)
        for (key, _) in oldest { entries[key] = nil }
    }

    /// Whole seconds to wait, rounded up, at least 1.
    static func seconds(_ interval: TimeInterval) -> Int {
        max(1, Int(interval.rounded(.up)))
    }
}
