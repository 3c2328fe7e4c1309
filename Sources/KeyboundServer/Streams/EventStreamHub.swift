import Foundation
import Keybound
import KeyboundStore
import Synchronization

/// Wakes the provider's event streams when the stores change, so that no open stream polls.
///
/// - Writes made in this process wake an issuer's streams at once, before the write returns: a key
///   store commit wakes every issuer's streams (the key event sequence is one for all issuers; a
///   commit that added no event costs each stream one empty read), a token revocation wakes its
///   issuer's streams.
/// - Writes made by other processes (`keybound keys revoke`, `keybound incident respond`) are found
///   by one poller per issuer that has open streams (not one per stream): every
///   ``StreamLimits/pollInterval`` it reads the latest key event and the issuer's latest token event,
///   and wakes the issuer's streams when either moved. It stops when the issuer's last stream closes.
public final class EventStreamHub: Sendable {
    private struct Issuer {
        let beacon = ChangeBeacon()
        var followers = 0
        var poller: Task<Void, Never>?
    }

    private struct State {
        var issuers: [ExactString: Issuer] = [:]
    }

    let manager: KeyManager
    let store: any ProviderStore
    let pollInterval: Duration
    private let state = Mutex(State())

    /// A hub over `manager`'s key store and `store`, polling for other processes every `pollInterval`.
    init(manager: KeyManager, store: any ProviderStore, pollInterval: Duration) {
        self.manager = manager
        self.store = store
        self.pollInterval = pollInterval
        manager.store.commits.observe { [weak self] in self?.keyStoreCommitted() }
        store.tokenEventsAppended.observe { [weak self] events in
            guard let self else { return }
            var woken: Set<ExactString> = []
            for event in events where woken.insert(ExactString(event.issuerID)).inserted { self.signal(event.issuerID) }
        }
    }

    /// The beacon of issuer `issuerID`'s streams; its poller runs until ``StreamFollowing/end()``.
    func follow(_ issuerID: String) async -> StreamFollowing {
        let key = ExactString(issuerID)
        let (beacon, startPoller) = state.withLock { state -> (ChangeBeacon, Bool) in
            var issuer = state.issuers[key] ?? Issuer()
            issuer.followers += 1
            state.issuers[key] = issuer
            return (issuer.beacon, issuer.poller == nil)
        }
        if startPoller { await startPolling(issuerID, beacon: beacon) }
        return StreamFollowing(beacon: beacon) { [weak self] in self?.unfollow(key) }
    }

    /// How many issuers have a running poller (for tests and metrics).
    var pollers: Int { state.withLock { $0.issuers.values.filter { $0.poller != nil }.count } }

    /// Wakes issuer `issuerID`'s streams.
    func signal(_ issuerID: String) {
        state.withLock { $0.issuers[ExactString(issuerID)]?.beacon }?.signal()
    }

    private func unfollow(_ key: ExactString) {
        let poller = state.withLock { state -> Task<Void, Never>? in
            guard var issuer = state.issuers[key] else { return nil }
            issuer.followers -= 1
            guard issuer.followers <= 0 else {
                state.issuers[key] = issuer
                return nil
            }
            // The beacon stays (a stream that is still winding down may hold it); only the poller stops.
            let poller = issuer.poller
            issuer.poller = nil
            issuer.followers = 0
            state.issuers[key] = issuer
            return poller
        }
        poller?.cancel()
    }

    /// A key store commit in this process: wake every issuer's streams. (Reading whether the commit
    /// added events would need the store, which an observer on the committing thread must not wait
    /// for; a stream woken for nothing reads no event and sleeps again.)
    /// Wakes every followed issuer's streams (another node changed keys, or notices were lost).
    func wakeAll() { keyStoreCommitted() }

    private func keyStoreCommitted() {
        for beacon in state.withLock({ $0.issuers.values.map(\.beacon) }) { beacon.signal() }
    }

    /// Starts issuer `issuerID`'s poller. Its starting point is read before this returns, so a
    /// change made after a stream's first query is always seen.
    private func startPolling(_ issuerID: String, beacon: ChangeBeacon) async {
        let manager = self.manager, store = self.store, interval = pollInterval
        let startKey = try? await manager.latestEvent()?.sequence
        let startToken = try? await store.latestTokenEventSequence(issuerID: issuerID)
        let poller = Task {
            var lastKey = startKey, lastToken = startToken
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                let key = try? await manager.latestEvent()?.sequence
                let token = try? await store.latestTokenEventSequence(issuerID: issuerID)
                if key != lastKey || token != lastToken { beacon.signal() }
                lastKey = key
                lastToken = token
            }
        }
        let kept = state.withLock { state -> Bool in
            let key = ExactString(issuerID)
            guard var issuer = state.issuers[key], issuer.followers > 0, issuer.poller == nil else { return false }
            issuer.poller = poller
            state.issuers[key] = issuer
            return true
        }
        if !kept { poller.cancel() }
    }
}

/// One stream's hold on its issuer's beacon; ``end()`` (once) lets the poller stop with the last.
final class StreamFollowing: Sendable {
    let beacon: ChangeBeacon
    private let onEnd: Mutex<(@Sendable () -> Void)?>

    init(beacon: ChangeBeacon, onEnd: @escaping @Sendable () -> Void) {
        self.beacon = beacon
        self.onEnd = Mutex(onEnd)
    }

    /// Releases the hold (idempotent).
    func end() { onEnd.withLock { $0.take() }?() }

    deinit { end() }
}
