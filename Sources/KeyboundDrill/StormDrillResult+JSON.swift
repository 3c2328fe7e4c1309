import Foundation
import Keybound

extension StormDrillResult {
    /// The result as JSON (`keybound demo storm-0558 --json`).
    package var jsonObject: JSONObject {
        func time(_ date: Date) -> JSONValue { .string(date.formatted(Date.ISO8601FormatStyle())) }
        func number(_ value: Int) -> JSONValue { .number(Double(value)) }
        func counts(_ values: [String: Int]) -> JSONValue {
            var object = JSONObject()
            for (name, value) in values.sorted(by: { $0.key < $1.key }) { object[name] = number(value) }
            return .object(object)
        }
        var alertsObject = JSONObject()
        for (frontEnd, codes) in alerts.sorted(by: { $0.key < $1.key }) { alertsObject[frontEnd] = counts(codes) }
        var noticesObject = JSONObject()
        for (tenant, files) in incident.notices.sorted(by: { $0.key < $1.key }) { noticesObject[tenant] = .array(files.map(JSONValue.string)) }
        var object = JSONObject([
            "passed": .bool(passed),
            "days": number(days),
            "simulated_start": time(simulatedStart),
            "attack_start": time(attackStart),
            "data_directory": dataDirectory.map(JSONValue.string) ?? .null,
            "stolen_key": .object(JSONObject(["issuer": .string("consumers"), "kid": .string(stolenKeyID)])),
            "rotations": number(rotations),
            "traffic": .array(traffic.map { entry in
                .object(JSONObject(["tenant": .string(entry.tenant), "tokens_issued": number(entry.tokensIssued),
                                    "requests_served": number(entry.requestsServed), "requests_refused": number(entry.requestsRefused),
                                    "items_read": number(entry.itemsRead)]))
            }),
            "attempts": .array(attempts.map { attempt in
                .object(JSONObject(["token": .string(attempt.token), "jti": .string(attempt.tokenID), "claimed_issuer": .string(attempt.claimedIssuer),
                                    "claimed_tenant": .string(attempt.claimedTenant), "mailbox": attempt.mailbox.map(JSONValue.string) ?? .null,
                                    "path": .string(attempt.path), "front_end": .string(attempt.frontEnd), "status": number(attempt.status),
                                    "code": attempt.code.map(JSONValue.string) ?? .null, "items_read": number(attempt.itemsRead),
                                    "at": time(attempt.at)]))
            }),
            "verdicts": .array(verdicts.map { verdict in
                .object(JSONObject(["token": .string(verdict.token), "claimed_issuer": .string(verdict.claimedIssuer),
                                    "kid_only_validator": .string(verdict.kidOnlyAccepted ? "accepted" : "rejected"),
                                    "keybound_verifier_without_ledger": .string(verdict.keyboundSignatureCheck),
                                    "keybound_mail": .string(verdict.keyboundMail), "mail_edge": .string(verdict.mailEdge),
                                    "legacy_validator": .string(verdict.legacyValidator)]))
            }),
            "alerts": .object(alertsObject),
            "tenant_boundary": .object(JSONObject([
                "squatted_mailboxes": .array(tenantBoundary.squattedMailboxes.map(JSONValue.string)),
                "feed_records": counts(tenantBoundary.feedRecords),
                "attempts_in_feeds": counts(tenantBoundary.attemptsInFeeds),
                "tid_only_feed_records": counts(tenantBoundary.tidOnlyFeedRecords),
            ])),
        ])
        object["hunt"] = .object(JSONObject([
            "findings": counts(findings), "false_positives": number(falsePositives), "lookback_days": number(lookbackDays),
            "forged_token_jtis": .array(forgedTokenIDs.map(JSONValue.string)),
            "cross_issuer_jtis": .array(crossIssuerTokenIDs.map(JSONValue.string)),
            "leads": .array(leads.map { lead in
                .object(JSONObject(["client_id": .string(lead.clientID), "mailbox": .string(lead.mailbox), "attacker": .bool(lead.isAttacker),
                                    "label": .string("lead, not a verdict")]))
            }),
        ]))
        object["incident"] = .object(JSONObject([
            "id": .string(incident.id), "closed": .bool(incident.closed), "steps": .array(incident.steps.map(JSONValue.string)),
            "folder": .string(incident.folder), "notices": .object(noticesObject),
            "must_notify": .array(incident.mustNotify.map(JSONValue.string)),
            "containment_seconds": incident.containmentSeconds.map(JSONValue.number) ?? .null,
            "tokens_revoked": number(incident.tokensRevoked), "chains_revoked": number(incident.chainsRevoked),
            "fresh_kid": incident.freshKeyID.map(JSONValue.string) ?? .null, "command_seconds": .number(incident.commandSeconds),
            "edge_propagation_seconds": incident.edgePropagationSeconds.map(JSONValue.number) ?? .null,
        ]))
        object["aftermath"] = .array(aftermath.map { entry in
            .object(JSONObject(["tenant": .string(entry.tenant), "application_works": entry.applicationWorks.map(JSONValue.bool) ?? .null,
                                "application_answer": .string(entry.applicationAnswer),
                                "people": number(entry.people), "people_served": number(entry.peopleServed),
                                "people_refreshed": number(entry.peopleRefreshed), "people_signed_in_again": number(entry.peopleSignedInAgain)]))
        })
        object["expectations"] = .array(expectations.map { expectation in
            .object(JSONObject(["name": .string(expectation.name), "held": .bool(expectation.held), "detail": .string(expectation.detail)]))
        })
        object["runtime_seconds"] = .number(runtimeSeconds)
        return object
    }
}
