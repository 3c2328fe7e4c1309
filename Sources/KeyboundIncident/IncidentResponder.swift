import Foundation
import Keybound
import KeyboundHunt
import KeyboundStore

/// `keybound incident respond`: contain a compromised signing key and scope the damage, in one
/// idempotent, resumable run (see ``IncidentStep``).
///
/// Started again for the same issuer and key, it resumes the open incident at its first
/// unfinished step; for a closed one it changes nothing and returns it.
public struct IncidentResponder: Sendable {
    /// What to respond to and where.
    public struct Request: Sendable {
        /// The issuer id.
        public var issuerID: String
        /// The compromised key.
        public var keyID: String
        /// Why (recorded with the revocation).
        public var reason: String
        /// The data directory: the key store, `provider.sqlite`, and `incidents/`.
        public var dataDirectory: URL
        /// Where `audit.sqlite` is (the data directory for `keybound serve --with-mail`).
        public var auditDirectory: URL
        /// Recorded as the revocation's actor.
        public var actor: String

        /// A request; the audit log defaults to the data directory.
        public init(issuerID: String, keyID: String, reason: String, dataDirectory: URL, auditDirectory: URL? = nil,
                    actor: String = "incident-response") {
            self.issuerID = issuerID
            self.keyID = keyID
            self.reason = reason
            self.dataDirectory = dataDirectory
            self.auditDirectory = auditDirectory ?? dataDirectory
            self.actor = actor
        }
    }

    let manager: KeyManager
    let keyStore: any KeyStore
    let ledger: SQLiteProviderStore
    let now: @Sendable () -> Date
    /// Called after a step's effect and before its completion is recorded (tests use it to
    /// simulate a kill at the worst moment).
    let afterEffect: @Sendable (IncidentStep) throws -> Void

    /// A responder over the stores of one data directory.
    public init(manager: KeyManager, keyStore: any KeyStore, ledger: SQLiteProviderStore, now: @escaping @Sendable () -> Date = { Date() },
                afterEffect: @escaping @Sendable (IncidentStep) throws -> Void = { _ in }) {
        self.manager = manager
        self.keyStore = keyStore
        self.ledger = ledger
        self.now = now
        self.afterEffect = afterEffect
    }

    /// The incidents folder of a data directory.
    public static func incidentsRoot(_ dataDirectory: URL) -> URL { dataDirectory.appendingPathComponent("incidents", isDirectory: true) }

    /// Runs (or resumes) the response; returns the final state and the folder.
    public func respond(_ request: Request) async throws -> (IncidentRecord, IncidentFolder) {
        let issuer = try await manager.issuer(id: request.issuerID)
        guard try await manager.keys(issuerID: issuer.id).contains(where: { $0.keyID == request.keyID }) else {
            throw IncidentError("issuer '\(issuer.id)' has no key '\(request.keyID)'")
        }
        let root = Self.incidentsRoot(request.dataDirectory)
        var (record, folder) = try openOrResume(request, issuerURL: issuer.url, root: root)
        var report: HuntReport?
        while let step = record.nextStep {
            let detail = try await perform(step, &record, report: &report, request: request, folder: folder)
            try afterEffect(step)
            record.completed.append(.init(step: step, completedAt: now(), detail: detail))
            try folder.save(record)
        }
        return (record, folder)
    }

    private func hunt(_ record: IncidentRecord, _ request: Request) async throws -> HuntReport {
        try await Hunt.run(HuntConfiguration(auditDirectory: request.auditDirectory, keyStore: keyStore, ledger: ledger,
                                       key: .init(issuer: record.issuerURL, keyID: request.keyID), now: now()))
    }

    /// The open (or closed) incident of this issuer and key, or a new one.
    func openOrResume(_ request: Request, issuerURL: String, root: URL) throws -> (IncidentRecord, IncidentFolder) {
        for existing in try IncidentCatalog.list(root: root) where existing.issuerID == request.issuerID && existing.keyID == request.keyID {
            return (existing, IncidentFolder(root: root, id: existing.id))
        }
        let opened = now()
        let id = Self.identifier(issuerID: request.issuerID, keyID: request.keyID, at: opened)
        let record = IncidentRecord(id: id, issuerID: request.issuerID, issuerURL: issuerURL, keyID: request.keyID,
                                    reason: request.reason, openedAt: opened, completed: [])
        let folder = IncidentFolder(root: root, id: id)
        try folder.save(record)
        return (record, folder)
    }

    /// `INC-<yyyyMMdd>-<issuer>-<first 8 characters of the kid, alphanumerics only>`.
    static func identifier(issuerID: String, keyID: String, at date: Date) -> String {
        let day = date.formatted(Date.ISO8601FormatStyle().year().month().day().dateSeparator(.omitted))
        let kid = String(keyID.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.prefix(8))
        let issuer = String(issuerID.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" })
        return "INC-\(day)-\(issuer)-\(kid)"
    }

    private func perform(_ step: IncidentStep, _ record: inout IncidentRecord, report: inout HuntReport?, request: Request,
                         folder: IncidentFolder) async throws -> String {
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
                throw IncidentError("issuer '\(request.issuerID)' has no key '\(request.keyID)'")
            }
            func freshKey() async throws -> KeyRecord? {
                try await manager.keys(issuerID: request.issuerID).first { $0.state == .active && $0.purpose == purpose && $0.keyID != request.keyID }
            }
            var active = try await freshKey()
            if active == nil {
                _ = try await manager.tick(now: now(), actor: request.actor)
                active = try await freshKey()
            }
            guard let active else { throw IncidentError("issuer '\(request.issuerID)' has no active \(purpose.keyName) after the revocation") }
            record.freshKeyID = active.keyID
            return "issuer \(request.issuerID) signs with \(purpose.keyName) \(active.keyID)"
        case .revokeTokens:
            let tokens = try ledger.issuances(issuerID: request.issuerID, keyID: request.keyID)
            let reason = "incident \(record.id): signing key \(request.keyID) compromised"
            for token in tokens { try ledger.revokeToken(issuerID: request.issuerID, tokenID: token.tokenID, reason: reason, kind: .incidentResponse, now: now()) }
            let chains = Set(tokens.compactMap(\.chainID))
            for chain in chains.sorted() { try ledger.revokeChain(issuerID: request.issuerID, chainID: chain, reason: reason, kind: .incidentResponse, now: now()) }
            record.tokensRevoked = tokens.count
            record.chainsRevoked = chains.count
            return "\(tokens.count) tokens signed with \(request.keyID) revoked, \(chains.count) refresh chains cut"
        case .hunt:
            let found = try await hunt(record, request)
            report = found
            try folder.write(found.markdown, named: "hunt.md")
            try folder.write(JSONWriter(prettyPrinted: true).string(.object(found.jsonObject)) + "\n", named: "hunt.json")
            return "\(found.maliciousCount) malicious findings, \(found.leadCount) leads, \(found.keyUse?.total.total ?? 0) uses of the key"
        case .writeNotices:
            // A resumed run that starts here hunts again (the log only grows, the key is revoked).
            let found: HuntReport
            if let report { found = report } else { found = try await hunt(record, request) }
            let events = try await manager.events(after: 0, limit: 1_000_000).filter { $0.issuerID == request.issuerID }
            let notices = IncidentNotices(record: record, report: found, keyEvents: events, generatedAt: now())
            try notices.write(to: folder)
            return "timeline and \(notices.organisations.count) organisation notices written"
        case .close:
            return "closed"
        }
    }
}
