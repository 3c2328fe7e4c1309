import Foundation
import Keybound
import KeyboundHunt
import KeyboundIncident
import KeyboundServer
import KeyboundStore
import Logging

/// Incident response as the console and the admin API offer it: open a key's incident and run its
/// steps in the background on this node (``IncidentRuns``), read an incident's state and its
/// documents. One desk serves both, so a response started from either is one run.
struct IncidentDesk: Sendable {
    let context: ProviderContext
    let incidents: any IncidentStore
    /// Where the hunt step reads the audit log; throws (404) when this deployment has none.
    let audit: @Sendable () throws -> HuntAuditSource
    let runs = IncidentRuns()

    /// Incident `id`, or 404 (an id not shaped `INC-…` is not looked up).
    func record(_ id: String) async throws -> IncidentRecord {
        let found: IncidentRecord?
        do { found = id.hasPrefix("INC-") ? try await incidents.incident(id: id) : nil } catch {
            throw OAuthError.storeUnavailable()
        }
        guard let found else { throw OAuthError.notFound("there is no incident with that id") }
        return found
    }

    /// Every incident, oldest first.
    func all() async throws -> [IncidentRecord] {
        do { return try await incidents.incidents() } catch { throw OAuthError.storeUnavailable() }
    }

    /// A reason as an incident takes it: one line of at most 500 bytes, not blank.
    static func checkedReason(_ text: String?) -> String? {
        let reason = text?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !reason.isEmpty, reason.utf8.count <= 500, !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return nil
        }
        return reason
    }

    /// Opens the key's incident (or finds the one open or closed for it) and starts its remaining
    /// steps on this node.
    func start(issuerID: String, keyID: String, reason: String, actor: String, logger: Logger) async throws -> IncidentRecord {
        let request = IncidentResponder.Request(issuerID: issuerID, keyID: keyID, reason: reason, actor: actor)
        let context = self.context
        let responder = IncidentResponder(
            manager: context.manager,
            stores: .init(keyStore: context.manager.store, ledger: context.store, audit: try audit(), incidents: incidents),
            now: { context.now() },
            afterEffect: { _ in
                // The provider signs with the fresh key and its streams tell the validators at once.
                context.storeChanged(.keys)
                context.storeChanged(.tokenEvents(issuerID: issuerID))
            })
        let record: IncidentRecord
        do { record = try await responder.open(request) } catch let error as IncidentError {
            throw error.code == .keyNotFound ? OAuthError.notFound("issuer '\(issuerID)' has no key with that id") : OAuthError.storeUnavailable()
        }
        runs.start(record, request, responder: responder, logger: logger)
        return record
    }

    /// Whether incident `record`'s steps are running here, and why they stopped when they did.
    func progress(_ record: IncidentRecord) -> (running: Bool, error: String?) {
        switch runs.state(record.id) {
        case .running: (true, nil)
        case .failed(let why): (false, "The response stopped: \(why). Resume it to run the remaining steps.")
        case nil: (false, record.isClosed ? nil : "The response is not running on this node. Resume it to run the remaining steps.")
        }
    }

    /// The names of `record`'s documents.
    func documentNames(_ record: IncidentRecord) async throws -> [String] {
        do { return try await incidents.documentNames(incidentID: record.id) } catch { throw OAuthError.storeUnavailable() }
    }

    /// The document `name` of `record`, or 404. Only a name the incident lists is read: never a
    /// path made up by the request.
    func document(_ name: String, of record: IncidentRecord) async throws -> String {
        let text: String?
        do {
            text = try await incidents.documentNames(incidentID: record.id).contains(name)
                ? try await incidents.document(named: name, incidentID: record.id) : nil
        } catch {
            throw OAuthError.storeUnavailable()
        }
        guard let text else { throw OAuthError.notFound("incident \(record.id) has no document with that name") }
        return text
    }

    /// `record` as the incident list shows it: its key, reason, when it was opened, whether it is
    /// closed and whether it runs here.
    func summary(_ record: IncidentRecord) -> JSONObject {
        JSONObject([
            "id": .string(record.id), "issuer": .string(record.issuerID), "kid": .string(record.keyID), "reason": .string(record.reason),
            "opened_at": .string(record.openedAt.formatted(Date.ISO8601FormatStyle())), "closed": .bool(record.isClosed),
            "running": .bool(progress(record).running),
        ])
    }

    /// `record`'s state as JSON: its ``summary(_:)``, each step (done, with its detail), whether it
    /// stopped (and why), and with `documents` its document names (the admin API's answer; the
    /// console's page polls without them, so its polling reads no document list).
    func state(_ record: IncidentRecord, documents: Bool) async throws -> JSONObject {
        let (running, error) = progress(record)
        var object = summary(record)
        object["running"] = .bool(running)  // the same reading of the run as `stopped` and `error`
        object["stopped"] = .bool(!record.isClosed && !running)
        object["steps"] = .array(IncidentStep.allCases.map { step in
            let done = record.completed.first { $0.step == step }
            var object = JSONObject(["step": .string(step.rawValue), "done": .bool(done != nil)])
            if let done { object["detail"] = .string(done.detail) }
            return .object(object)
        })
        if documents { object["documents"] = .array(try await documentNames(record).map(JSONValue.string)) }
        if let error { object["error"] = .string(error) }
        if let fresh = record.freshKeyID { object["fresh_kid"] = .string(fresh) }
        if let tokens = record.tokensRevoked {
            object["tokens_revoked"] = .number(Double(tokens))
            object["chains_revoked"] = .number(Double(record.chainsRevoked ?? 0))
        }
        return object
    }
}
