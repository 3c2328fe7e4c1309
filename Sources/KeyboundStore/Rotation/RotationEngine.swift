import Foundation

/// The rotation schedule as a pure function from (now, issuers, keys) to the transitions due.
///
/// Each (issuer, purpose) is its own lifecycle (``KeyPurpose``): the rules below apply to the
/// issuer's keys of one purpose, ignoring the other's. For each issuer and purpose:
/// - no key at all → its initial key, active at once (so an issuer that had only access-token keys
///   gets its ID-token key at the next tick);
/// - no active key (all revoked or retired) → a pending key is activated, or a fresh one is, as an emergency;
/// - the active key has reached the maximum key age → the next key takes over now (an emergency if
///   it has not been published for the lead time);
/// - the active key is within the publish lead time of its rotation → the next key is published;
/// - a pending key whose scheduled activation has come → it becomes active, the old one verify-only;
/// - a verify-only key past `verifyUntil` → retired.
///
/// Applying the result and planning again yields nothing new until time moves on: the engine is
/// idempotent, and the store applies it inside one exclusive transaction.
public enum RotationEngine {
    /// Skew added to the verify-only window, matching the largest skew a verifier may allow.
    public static let verificationSkew: TimeInterval = 300

    /// The transitions due at `now`.
    public static func plan(now: Date, issuers: [IssuerRecord], keys: [KeyRecord]) -> [KeyTransition] {
        let keysByIssuer = Dictionary(grouping: keys, by: \.issuerID)
        var transitions: [KeyTransition] = []
        for issuer in issuers.sorted(by: { $0.id < $1.id }) {
            let own = keysByIssuer[issuer.id] ?? []
            for purpose in KeyPurpose.allCases {
                transitions += plan(now: now, issuer: issuer, purpose: purpose, keys: own.filter { $0.purpose == purpose })
            }
        }
        return transitions
    }

    /// The transitions due for one (issuer, purpose), given only that purpose's keys.
    static func plan(now: Date, issuer: IssuerRecord, purpose: KeyPurpose, keys: [KeyRecord]) -> [KeyTransition] {
        var transitions: [KeyTransition] = []
        for key in keys where key.state == .verifyOnly {
            if let until = key.verifyUntil, now >= until {
                transitions.append(.retire(issuerID: issuer.id, keyID: key.keyID, purpose: purpose))
            }
        }
        guard !keys.isEmpty else { return [.createInitialKey(issuerID: issuer.id, purpose: purpose)] }
        let pending = keys.filter { $0.state == .pending }.min { $0.createdAt < $1.createdAt }
        guard let active = keys.first(where: { $0.state == .active }), let activatedAt = active.activatedAt else {
            if let pending {
                transitions.append(.activate(issuerID: issuer.id, keyID: pending.keyID, emergencyReason: "no active key", purpose: purpose))
            } else {
                transitions.append(.activateFreshKey(issuerID: issuer.id, emergencyReason: "no active key", purpose: purpose))
            }
            return transitions
        }
        let age = now.timeIntervalSince(activatedAt)
        if age >= issuer.maximumKeyAge {
            let reason = "active key '\(active.keyID)' reached the maximum key age of \(DurationText.text(issuer.maximumKeyAge))"
            if let pending {
                let ready = now.timeIntervalSince(pending.createdAt) >= issuer.publishLeadTime
                transitions.append(.activate(issuerID: issuer.id, keyID: pending.keyID, emergencyReason: ready ? nil : reason, purpose: purpose))
            } else {
                transitions.append(.activateFreshKey(issuerID: issuer.id, emergencyReason: reason, purpose: purpose))
            }
            return transitions
        }
        let rotationDue = activatedAt.addingTimeInterval(issuer.rotationPeriod)
        if let pending {
            if let scheduled = pending.scheduledActivation, now >= scheduled {
                transitions.append(.activate(issuerID: issuer.id, keyID: pending.keyID, emergencyReason: nil, purpose: purpose))
            }
        } else if now >= rotationDue.addingTimeInterval(-issuer.publishLeadTime) {
            let activateAt = max(rotationDue, now.addingTimeInterval(issuer.publishLeadTime))
            transitions.append(.publishNextKey(issuerID: issuer.id, activateAt: activateAt, purpose: purpose))
        }
        return transitions
    }

    /// Until when a key that stops signing at `deactivatedAt` must keep verifying.
    public static func verifyUntil(deactivatedAt: Date, issuer: IssuerRecord) -> Date {
        deactivatedAt.addingTimeInterval(issuer.maximumTokenLifetime + verificationSkew)
    }
}
