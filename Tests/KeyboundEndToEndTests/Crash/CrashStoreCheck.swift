import Foundation
import Keybound
import KeyboundStore

/// What the crash test has seen of the store after a kill: every key (by kid) and every event.
struct CrashSnapshot {
    var keys: [String: KeyRecord] = [:]
    var events: [KeyEvent] = []
}

/// Opens a store fresh after a kill and checks it against the previous snapshot. Returns the new
/// snapshot and every problem found (empty when the store is sound).
enum CrashStoreCheck {
    static let issuerIDs = ["consumers", "contoso"]

    /// Forward-only order of key states; `revoked` is terminal.
    static func rank(_ state: KeyState) -> Int {
        switch state {
        case .pending: 0
        case .active: 1
        case .verifyOnly: 2
        case .retired: 3
        case .revoked: 4
        }
    }

    /// The state a key must be in after an event of `kind` was its last lifecycle event.
    static func state(after kind: KeyEvent.Kind) -> KeyState? {
        switch kind {
        case .created: .pending
        case .activated: .active
        case .verifyOnly: .verifyOnly
        case .retired: .retired
        case .revoked: .revoked
        case .resealed: nil
        }
    }

    static func sortedPublicJSON(_ json: JSONObject) -> String {
        JSONWriter(sortsKeys: true).string(.object(json))
    }

    /// Polls the store (a reader beside the running child) until its latest event is past
    /// `sequence`; returns that event's sequence, or `nil` on timeout or once `alive` is false.
    static func waitForEvent(after sequence: Int64, directory: URL, timeout: Duration, while alive: () -> Bool) async -> Int64? {
        guard let store = try? SQLiteKeyStore(directory: directory) else { return nil }
        let deadline = ContinuousClock.now + timeout
        while alive(), ContinuousClock.now < deadline {
            if let latest = try? await store.read({ try await $0.latestEvent()?.sequence }), latest > sequence { return latest }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    static func check(directory: URL, kek: KeyEncryptionKey, previous: CrashSnapshot) async -> (CrashSnapshot, [String]) {
        var problems: [String] = []
        let store: SQLiteKeyStore
        let manager: KeyManager
        do {
            store = try SQLiteKeyStore(directory: directory)
            manager = try await KeyManager(store: store, kek: kek)
        } catch {
            return (previous, ["the store does not reopen: \(error)"])
        }
        do {
            if try await !store.integrityCheck() { problems.append("PRAGMA integrity_check is not ok") }
        } catch {
            problems.append("integrity check failed to run: \(error)")
        }

        let issuers: [IssuerRecord], keys: [KeyRecord], events: [KeyEvent]
        do {
            issuers = try await manager.issuers()
            keys = try await manager.keys()
            events = try await manager.events(after: 0, limit: 100_000_000)
        } catch {
            return (previous, problems + ["the store cannot be read: \(error)"])
        }

        // Issuers: both created on the first run (the first kill waits for a step), never lost.
        if issuers.map(\.id).sorted() != issuerIDs {
            problems.append("issuers are \(issuers.map(\.id)), expected \(issuerIDs)")
        }
        let issuerURL = Dictionary(uniqueKeysWithValues: issuers.map { ($0.id, $0.url) })

        // One active key per (issuer, purpose), at most one pending; the active one unseals through the manager.
        for issuerID in issuerIDs { for purpose in KeyPurpose.allCases {
            let own = keys.filter { $0.issuerID == issuerID && $0.purpose == purpose }
            let active = own.filter { $0.state == .active }
            if active.count != 1 { problems.append("issuer '\(issuerID)' has \(active.count) active \(purpose.keyName)s") }
            let pending = own.filter { $0.state == .pending }.count
            if pending > 1 { problems.append("issuer '\(issuerID)' has \(pending) pending \(purpose.keyName)s") }
            if active.count == 1 {
                do {
                    let signing = try await manager.signingKey(issuerID: issuerID, purpose: purpose)
                    if signing.keyID != active[0].keyID {
                        problems.append("signingKey(\(issuerID)) is '\(signing.keyID)', the active key is '\(active[0].keyID)'")
                    }
                } catch {
                    problems.append("the active key of '\(issuerID)' does not open: \(error)")
                }
            }
        } }

        var byID: [String: KeyRecord] = [:]
        for key in keys {
            if byID[key.keyID] != nil { problems.append("kid '\(key.keyID)' appears twice") }
            byID[key.keyID] = key
        }

        // No key lost, none changed where it must not change, none moved backwards.
        for (kid, old) in previous.keys {
            guard let now = byID[kid] else {
                problems.append("key '\(kid)' of '\(old.issuerID)' (\(old.state.rawValue)) was lost")
                continue
            }
            if now.issuerID != old.issuerID { problems.append("key '\(kid)' moved from '\(old.issuerID)' to '\(now.issuerID)'") }
            if now.publicJWK != old.publicJWK { problems.append("the public JWK of '\(kid)' changed") }
            if now.sealedPrivateKey != old.sealedPrivateKey { problems.append("the sealed private key of '\(kid)' changed") }
            if now.algorithm != old.algorithm || now.createdAt != old.createdAt || now.isInitial != old.isInitial {
                problems.append("the creation record of '\(kid)' changed")
            }
            if rank(now.state) < rank(old.state) || (old.state == .revoked && now.state != .revoked) {
                problems.append("key '\(kid)' went back from \(old.state.rawValue) to \(now.state.rawValue)")
            }
        }

        for key in keys {
            if key.state == .revoked {
                if key.revokedAt == nil { problems.append("revoked key '\(key.keyID)' has no revokedAt") }
                if (key.revocationReason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                    problems.append("revoked key '\(key.keyID)' has no reason")
                }
                if key.revokedBy == nil { problems.append("revoked key '\(key.keyID)' has no revokedBy") }
            }
            if key.kekFingerprint != kek.fingerprint { problems.append("key '\(key.keyID)' is sealed under another KEK") }
            // Every new key opens with the KEK and holds the public key it publishes (keys seen
            // before were opened then, and their sealed bytes are checked unchanged above).
            guard previous.keys[key.keyID] == nil else { continue }
            do {
                let opened = try await manager.sealer.open(key.sealedPrivateKey, issuerID: key.issuerID, keyID: key.keyID)
                if opened.issuer != issuerURL[key.issuerID] {
                    problems.append("key '\(key.keyID)' is bound to '\(opened.issuer)', not to issuer '\(key.issuerID)'")
                }
                let published = try JWK(json: Array(key.publicJWK.utf8))
                if sortedPublicJSON(published.publicJSON) != sortedPublicJSON(opened.publicJWK.publicJSON) {
                    problems.append("the public JWK of '\(key.keyID)' is not the public half of its sealed key")
                }
            } catch {
                problems.append("key '\(key.keyID)' (\(key.state.rawValue)) does not open: \(error)")
            }
        }

        // Events: 1, 2, 3, … with no gap; what was seen before is still there, unchanged.
        for (index, event) in events.enumerated() where event.sequence != Int64(index + 1) {
            problems.append("event #\(index + 1) has sequence \(event.sequence): a gap or a reordering")
            break
        }
        if events.count < previous.events.count {
            problems.append("the event log shrank from \(previous.events.count) to \(events.count) events")
        } else if Array(events.prefix(previous.events.count)) != previous.events {
            problems.append("events seen before changed")
        }

        // Events and key rows were committed together: every event names a key that exists, and
        // each key's state is the one its last lifecycle event says.
        var lastState: [String: KeyState] = [:]
        for event in events {
            guard let key = byID[event.keyID], key.issuerID == event.issuerID else {
                problems.append("event \(event.sequence) names key '\(event.keyID)' of '\(event.issuerID)', which does not exist")
                continue
            }
            if let state = state(after: event.kind) { lastState[event.keyID] = state }
        }
        for key in keys {
            guard let state = lastState[key.keyID] else {
                problems.append("key '\(key.keyID)' has no event")
                continue
            }
            if state != key.state {
                problems.append("key '\(key.keyID)' is \(key.state.rawValue) but its last event says \(state.rawValue)")
            }
        }

        return (CrashSnapshot(keys: byID, events: events), problems)
    }
}
