import Foundation
import Keybound
import KeyboundAudit

extension HuntReport {
    /// The report version in JSON (`version`); field names are stable within a version.
    public static let jsonVersion = 1

    /// The report as JSON, with stable snake_case field names (see `docs/hunt.md`).
    public var jsonObject: JSONObject {
        var counts = JSONObject()
        for kind in HuntFinding.Kind.allCases { counts[kind.rawValue] = .number(Double(findingCounts[kind] ?? 0)) }
        counts["first_time_access"] = .number(Double(leadCount))
        var categories = JSONObject()
        for category in HuntFinding.Category.allCases { categories[category.rawValue] = .number(Double(count(category))) }
        return JSONObject([
            "report": .string("keybound-hunt"),
            "version": .number(Double(Self.jsonVersion)),
            "generated_at": .string(HuntTime.iso(generatedAt)),
            "verdict": .string(isMalicious ? "malicious" : "clean"),
            "malicious_count": .number(Double(maliciousCount)),
            "window": .object(JSONObject(["since": HuntJSON.time(since), "until": HuntJSON.time(until)])),
            "lookback_days": .number(lookback / 86_400),
            "scan": .object(HuntJSON.scan(scan)),
            "counts": .object(counts),
            "categories": .object(categories),
            "findings": .array(findings.map { .object(HuntJSON.finding($0)) }),
            "leads": .array(leads.map { .object(HuntJSON.lead($0)) }),
            "lead_label": .string(HuntLead.label),
            "key_use": keyUse.map { .object(HuntJSON.keyUse($0)) } ?? .null,
            "key_events": .array(keyEvents.map { event in
                .object(JSONObject([
                    "sequence": .number(Double(event.sequence)), "issuer": .string(event.issuerID), "kid": .string(event.keyID),
                    "kind": .string(event.kind.rawValue), "time": .string(HuntTime.iso(event.at)), "actor": .string(event.actor),
                    "reason": .string(event.reason),
                ]))
            }),
            "timeline": .array(timeline.map { .object(HuntJSON.timelineEvent($0)) }),
            "truncated": .object(JSONObject(["findings": .bool(findingsTruncated), "leads": .bool(leadsTruncated)])),
            "notes": .array(notes.map(JSONValue.string)),
        ])
    }
}

/// JSON pieces of the report.
enum HuntJSON {
    static func time(_ date: Date?) -> JSONValue { date.map { .string(HuntTime.iso($0)) } ?? .null }

    static func strings(_ values: [String]?) -> JSONValue { values.map { .array($0.map(JSONValue.string)) } ?? .null }

    static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    static func scan(_ scan: HuntReport.Scan) -> JSONObject {
        JSONObject([
            "records_scanned": .number(Double(scan.recordsScanned)), "records_in_window": .number(Double(scan.recordsInWindow)),
            "records_of_unknown_issuers": .number(Double(scan.recordsOfUnknownIssuers)),
            "stale_tokens_on_inactive_keys": .number(Double(scan.staleTokensOnInactiveKeys)),
            "first_sequence": scan.firstSequence.map { .number(Double($0)) } ?? .null,
            "last_sequence": scan.lastSequence.map { .number(Double($0)) } ?? .null,
            "log_start": time(scan.logStart), "log_end": time(scan.logEnd), "ledger_tokens": .number(Double(scan.ledgerTokens)),
            "scan_seconds": .number(scan.scanSeconds), "total_seconds": .number(scan.totalSeconds),
            "records_per_second": .number(scan.recordsPerSecond.rounded()),
        ])
    }

    /// An audit record, every field under its column's name (times in ISO 8601).
    static func record(_ record: AuditRecord) -> JSONObject {
        JSONObject([
            "sequence": .number(Double(record.sequence)), "time": .string(HuntTime.iso(record.time)),
            "tenant": string(record.tenant), "tenant_issuer": string(record.tenantIssuer ?? (record.attribution == nil ? record.tokenIssuer : nil)),
            "attribution": string(record.verifiedTenant == nil ? "unverified" : "verified"),
            "resource": string(record.resource), "resource_server": string(record.resourceServer), "operation": .string(record.operation),
            "item_ids": strings(record.itemIDs), "client_id": string(record.clientID), "client_ip": string(record.clientIP),
            "user_agent": string(record.userAgent), "session_id": string(record.sessionID), "token_iss": string(record.tokenIssuer),
            "token_kid": string(record.tokenKeyID), "token_jti": string(record.tokenID), "token_sub": string(record.tokenSubject),
            "token_aud": strings(record.tokenAudience), "token_scope": string(record.tokenScope), "token_roles": strings(record.tokenRoles),
            "token_iat": time(record.tokenIssuedAt), "token_exp": time(record.tokenExpiresAt),
            "claims_digest": string(record.claimsDigest), "verdict": .string(record.verdict.rawValue),
            "rejection_code": string(record.rejectionCode),
        ])
    }

    static func finding(_ finding: HuntFinding) -> JSONObject {
        JSONObject([
            "kind": .string(finding.kind.rawValue), "category": .string(finding.kind.category.rawValue),
            "sequence": .number(Double(finding.record.sequence)), "time": .string(HuntTime.iso(finding.record.time)),
            "accepted": .bool(finding.accepted), "reason_code": .string(finding.reasonCode), "reason": .string(finding.reason),
            "claimed_issuer_id": string(finding.claimedIssuerID),
            "key_owner_issuer_ids": .array(finding.keyOwnerIssuerIDs.map(JSONValue.string)),
            "key_state": string(finding.keyState), "key_purpose": string(finding.keyPurpose), "key_revoked_at": time(finding.keyRevokedAt),
            "token_in_ledger": finding.tokenInLedger.map(JSONValue.bool) ?? .null,
            "record": .object(record(finding.record)),
        ])
    }

    static func lead(_ lead: HuntLead) -> JSONObject {
        JSONObject([
            "kind": .string("first_time_access"), "lead": .bool(true), "label": .string(HuntLead.label),
            "sequence": .number(Double(lead.record.sequence)), "time": .string(HuntTime.iso(lead.record.time)),
            "client_issuer": string(lead.clientIssuer), "client_id": .string(lead.clientID), "tenant": string(lead.tenant),
            "mailbox": .string(lead.mailbox), "previous_access": time(lead.previousAccess),
            "record": .object(record(lead.record)),
        ])
    }

    static func tally(_ tally: HuntKeyUse.Tally) -> JSONObject {
        JSONObject([
            "total": .number(Double(tally.total)), "allowed": .number(Double(tally.allowed)), "denied": .number(Double(tally.denied)),
            "first_seen": time(tally.firstSeen), "last_seen": time(tally.lastSeen),
        ])
    }

    static func keyUse(_ use: HuntKeyUse) -> JSONObject {
        func groups(_ groups: [HuntKeyUse.Group], _ name: String) -> JSONValue {
            .array(groups.map { group in
                var object = tally(group.tally)
                object[name] = string(group.name)
                return .object(object)
            })
        }
        return JSONObject([
            "issuer": .string(use.issuer), "issuer_url": string(use.issuerURL), "issuer_id": string(use.issuerID),
            "kid": .string(use.keyID), "key_state": string(use.keyState), "key_revoked_at": time(use.keyRevokedAt),
            "total": .object(tally(use.total)),
            "by_tenant": groups(use.byTenant, "tenant"),
            "by_mailbox": .array(use.byMailbox.map { mailbox in
                var object = tally(mailbox.tally)
                object["tenant"] = string(mailbox.tenant)
                object["mailbox"] = .string(mailbox.mailbox)
                object["item_ids"] = .array(mailbox.itemIDs.map(JSONValue.string))
                object["item_ids_truncated"] = .bool(mailbox.itemIDsTruncated)
                return .object(object)
            }),
            "by_claimed_issuer": groups(use.byClaimedIssuer, "issuer"),
            "by_client": groups(use.byClient, "client"),
            "by_rejection_code": groups(use.byRejectionCode, "rejection_code"),
        ])
    }

    static func timelineEvent(_ event: HuntTimelineEvent) -> JSONObject {
        JSONObject([
            "time": .string(HuntTime.iso(event.time)), "last_time": time(event.lastTime), "lane": .string(event.lane.rawValue),
            "lead": .bool(event.isLead), "count": .number(Double(event.count)), "title": .string(event.title),
            "sequence": event.sequence.map { .number(Double($0)) } ?? .null,
        ])
    }
}
