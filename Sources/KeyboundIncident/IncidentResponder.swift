import Foundation
import Keybound
import KeyboundHunt
import KeyboundStore

/// `keybound incident respond`: contain a compromised signing key and scope the damage, in one
/// idempotent, resumable run (see ``IncidentStep``).
///
/// Started again for the same issuer and key, it resumes the open incident at its first
/// unfinished step, wherever it runs (on PostgreSQL the incident is in the shared database); for a
/// closed one it changes nothing and returns it.
public struct IncidentResponder: Sendable {
    /// What to respond to.
    public struct Request: Sendable {
        /// The issuer id.
        public var issuerID: String
        /// The compromised key.
        public var keyID: String
        /// Why (recorded with the revocation).
        public var reason: String
        /// Recorded as the revocation's actor.
        public var actor: String

        /// A request.
        public init(issuerID: String, keyID: String, reason: String, actor: String = "incident-response") {
            self.issuerID = issuerID
            self.keyID = keyID
            self.reason = reason
            self.actor = actor
        }
    }

    /// Where a response reads and writes: the key store, the provider's ledger and grants, the
    /// audit log the hunt reads, and the incidents. One data directory's files, or one
    /// PostgreSQL database.
    public struct Stores: Sendable {
        /// The key store (revocation, the fresh key, key events).
        public var keyStore: any KeyStore
        /// The issuance ledger, token revocations and refresh chains.
        public var ledger: any ProviderStore
        /// The audit log the hunt reads.
        public var audit: HuntAuditSource
        /// Where the incident and its documents are kept.
        public var incidents: any IncidentStore

        /// The stores.
        public init(keyStore: any KeyStore, ledger: any ProviderStore, audit: HuntAuditSource, incidents: any IncidentStore) {
            self.keyStore = keyStore
            self.ledger = ledger
            self.audit = audit
            self.incidents = incidents
        }
    }

    let manager: KeyManager
    let stores: Stores
    let now: @Sendable () -> Date
    /// Called after a step's effect and before its completion is recorded (tests use it to
    /// simulate a kill at the worst moment).
    let afterEffect: @Sendable (IncidentStep) throws -> Void

    /// A responder over `stores`; `manager` manages `stores.keyStore`.
    public init(manager: KeyManager, stores: Stores, now: @escaping @Sendable () -> Date = { Date() },
                afterEffect: @escaping @Sendable (IncidentStep) throws -> Void = { _ in }) {
        self.manager = manager
        self.stores = stores
        self.now = now
        self.afterEffect = afterEffect
    }

    /// Runs (or resumes) the response; returns the final state (its documents are in
    /// `stores.incidents`).
    public func respond(_ request: Request) async throws -> IncidentRecord {
        try await complete(try await open(request), request)
    }

    /// Opens the incident of the request's key, or finds the one already open or closed for it,
    /// and runs no step: the console shows the incident's page while ``complete(_:_:)`` runs.
    public func open(_ request: Request) async throws -> IncidentRecord {
        let issuer = try await manager.issuer(id: request.issuerID)
        guard try await manager.keys(issuerID: issuer.id).contains(where: { $0.keyID == request.keyID }) else {
            throw IncidentError(.keyNotFound, "issuer '\(issuer.id)' has no key '\(request.keyID)'")
        }
        let opened = now()
        return try await stores.incidents.open(IncidentRecord(
            id: Self.identifier(issuerID: request.issuerID, keyID: request.keyID, at: opened), issuerID: request.issuerID,
            issuerURL: issuer.url, keyID: request.keyID, reason: request.reason, openedAt: opened, completed: []))
    }

    /// Runs the steps of `record` (from ``open(_:)``) that are not done yet, recording each; the
    /// final state.
    public func complete(_ opened: IncidentRecord, _ request: Request) async throws -> IncidentRecord {
        var record = opened
        var report: HuntReport?
        while let step = record.nextStep {
            let detail = try await perform(step, &record, report: &report, request: request)
            try afterEffect(step)
            record.completed.append(.init(step: step, completedAt: now(), detail: detail))
            try await stores.incidents.save(record)
        }
        return record
    }

    private func hunt(_ record: IncidentRecord, _ request: Request) async throws -> HuntReport {
        try await Hunt.run(HuntConfiguration(audit: stores.audit, keyStore: stores.keyStore, ledger: stores.ledger,
                                             key: .init(issuer: record.issuerURL, keyID: request.keyID), now: now()))
    }

    /// `INC-<yyyyMMdd>-<issuer>-<first 8 characters of the kid, alphanumerics only>`.
    static func identifier(issuerID: String, keyID: String, at date: Date) -> String {
        let day = date.formatted(Date.ISO8601FormatStyle().year().month().day().dateSeparator(.omitted))
        let kid = String(keyID.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.prefix(8))
        let issuer = String(issuerID.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" })
        return "INC-\(day)-\(issuer)-\(kid)"
    }

    private func perform(_ step: IncidentStep, _ record: inout IncidentRecord, report: inout HuntReport?,
                         request: Request) async throws -> String {
        switch step {
        case .revokeKey:
            let key = try await manager.revoke(issuerID: request.issuerID, keyID: request.keyID, reason: request.reason,
                                         actor: request.actor, now: now())
            record.keyRevokedAt = key.revokedAt
            return "key \(request.keyID) revoked at \(key.revokedAt.map { "\($0)" } ?? "?") (\(key.revocationReason ?? request.reason))"
        case .activateFreshKey:
            // The fresh key takes over the revoked key's purpose (access tokens or ID tokens).
            let keys = try await manager.keys(issuerID: request.issuerID)
            guard let purpose = keys.first(where: { $0.keyID == request.keyID })?.purpose else {
                throw IncidentError(.keyNotFound, "issuer '\(request.issuerID)' has no key '\(request.keyID)'")
            }
            func freshKey() async throws -> KeyRecord? {
                try await manager.keys(issuerID: request.issuerID).first { $0.state == .active && $0.purpose == purpose && $0.keyID != request.keyID }
            }
            var active = try await freshKey()
            if active == nil {
                _ = try await manager.tick(now: now(), actor: request.actor)
                active = try await freshKey()
            }
            guard let active else { throw IncidentError(.noActiveKey, "issuer '\(request.issuerID)' has no active \(purpose.keyName) after the revocation") }
            record.freshKeyID = active.keyID
            return "issuer \(request.issuerID) signs with \(purpose.keyName) \(active.keyID)"
        case .revokeTokens:
            let ledger = stores.ledger
            let tokens = try await ledger.issuances(issuerID: request.issuerID, keyID: request.keyID)
            let reason = "incident \(record.id): signing key \(request.keyID) compromised"
            for token in tokens {
                try await ledger.revokeToken(issuerID: request.issuerID, tokenID: token.tokenID, reason: reason, kind: .incidentResponse, now: now())
            }
            let chains = Set(tokens.compactMap(\.chainID))
            for chain in chains.sorted() {
                try await ledger.revokeChain(issuerID: request.issuerID, chainID: chain, reason: reason, kind: .incidentResponse, now: now())
            }
            record.tokensRevoked = tokens.count
            record.chainsRevoked = chains.count
            return "\(tokens.count) tokens signed with \(request.keyID) revoked, \(chains.count) refresh chains cut"
        case .hunt:
            let found = try await hunt(record, request)
            report = found
            try await stores.incidents.write(found.markdown, named: "hunt.md", incidentID: record.id)
            try await stores.incidents.write(JSONWriter(prettyPrinted: true).string(.object(found.jsonObject)) + "\n", named: "hunt.json",
                                             incidentID: record.id)
            return "\(found.maliciousCount) malicious findings, \(found.leadCount) leads, \(found.keyUse?.total.total ?? 0) uses of the key"
        case .writeNotices:
            // A resumed run that starts here hunts again (the log only grows, the key is revoked).
            let found: HuntReport
            if let report { found = report } else { found = try await hunt(record, request) }
            let events = try await manager.events(after: 0, limit: 1_000_000).filter { $0.issuerID == request.issuerID }
            let notices = IncidentNotices(record: record, report: found, keyEvents: events, generatedAt: now())
            try await notices.write(to: stores.incidents)
            return "timeline and \(notices.organisations.count) organisation notices written"
        case .close:
            return "closed"
        }
    }
}
