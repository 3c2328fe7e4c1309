import Foundation
import Keybound
import KeyboundAudit
import KeyboundMail

/// Act 4: the same mistake one level up. The stolen consumer key signs tokens of its own issuer
/// (a perfect signature) that carry an enterprise tenant's `tid`, and asks for that tenant's audit
/// feed, an executive's mailbox, and a new mailbox in that tenant. A tenant is (issuer, tid), so
/// every one is refused with `tenant_mismatch` (threat model, control 15).
extension DrillRun {
    func tenantCrossingForgeries() async throws {
        heading("Act 4. The same mistake one level up: consumer tokens naming an enterprise tenant")
        paragraph("""
            The stolen key cannot pass for contoso's or fabrikam's. So the attacker stays with its own issuer: tokens with \
            iss consumers and a perfect signature, carrying contoso's or fabrikam's tenant id (tid) instead of the consumer \
            realm's. Each asks for the tenant's audit feed (an application with AuditLog.Read.All), the executive's mailbox \
            (Mail.Read.All), and, as a new user, a mailbox of its own (/me/messages: first use would create one in that tenant).
            """)
        let consumers = world.tenant(DrillCast.consumers)
        let enterprises = world.tenants.filter(\.isEnterprise)
        var tidOnlyRecords: [String: Int] = [:]
        var squatters: Set<ExactString> = []
        var minute = 8
        for tenant in enterprises {
            let executive = tenant.target
            // What a feed chosen by tid alone would hold for this tenant at the moment it is asked for.
            tidOnlyRecords[tenant.id] = try await recordsFiled(underTenantID: tenant.tenantID)
            let squatter = UUID().uuidString.lowercased()
            squatters.insert(ExactString(squatter))
            let requests: [(grant: DrillAttacker.Grant, path: String, mailbox: String?, aimedAt: String)] = [
                (.readAuditLog, MailPath.auditRecords, nil, "its audit feed (AuditLog.Read.All)"),
                (.readAllMail, MailPath.messages(of: executive.email), executive.email, "\(executive.email) (Mail.Read.All)"),
                (.user(squatter), MailPath.messages(of: nil), nil, "a mailbox for a new user (Mail.Read)"),
            ]
            for request in requests {
                at(day: days, 1, minute)
                minute += 1
                try await use(label: "T\(forgeries.count(where: { $0.label.hasPrefix("T") }) + 1)", issuer: consumers, naming: tenant,
                              grant: request.grant, path: request.path, mailbox: request.mailbox, aimedAt: request.aimedAt,
                              claims: "iss consumers, tid of \(tenant.id)")
            }
        }
        let crossing = forgeries.filter { $0.label.hasPrefix("T") }
        table(["Token", "tid of", "Asks for"] + FrontEnd.allCases.map(\.title), crossing.map { forgery in
            [forgery.label, forgery.claimedTenant, forgery.aimedAt] + FrontEnd.allCases.map { forgery.answers[$0]!.verdict }
        })
        tenantBoundary = try await boundary(after: crossing, squatters: squatters, tidOnlyRecords: tidOnlyRecords, enterprises: enterprises)
        await explainTenantCrossing(crossing, consumers: consumers, enterprises: enterprises)
    }

    /// What the stores show after the act: squatted mailboxes and the attempts in each enterprise feed.
    private func boundary(after crossing: [ForgedToken], squatters: Set<ExactString>, tidOnlyRecords: [String: Int],
                          enterprises: [DrillTenant]) async throws -> StormDrillResult.TenantBoundary {
        let consumersURL = world.tenant(DrillCast.consumers).url
        let enterpriseTenantIDs = Set(enterprises.map { ExactString($0.tenantID) })
        let squatted = try await mailboxes().filter { mailbox in
            squatters.contains(ExactString(mailbox.subject))
                || (mailbox.issuer.isExactly(consumersURL) && enterpriseTenantIDs.contains(ExactString(mailbox.tenantID)))
        }
        let tokenIDs = Set(crossing.map { ExactString($0.tokenID) })
        var inFeeds: [String: Int] = [:], feedSizes: [String: Int] = [:]
        for tenant in enterprises {
            let feed = try await feedRecords(of: Tenant(issuer: tenant.url, tenantID: tenant.tenantID, kind: .tenant))
            feedSizes[tenant.id] = feed.count
            inFeeds[tenant.id] = feed.count { $0.tokenID.map { tokenIDs.contains(ExactString($0)) } ?? false }
        }
        return StormDrillResult.TenantBoundary(squattedMailboxes: squatted.map(\.address).sorted(), feedRecords: feedSizes,
                                               attemptsInFeeds: inFeeds,
                                               tidOnlyFeedRecords: tidOnlyRecords)
    }

    private func explainTenantCrossing(_ crossing: [ForgedToken], consumers: DrillTenant, enterprises: [DrillTenant]) async {
        let answers = crossing.flatMap { $0.answers.values }
        let mismatches = answers.count { $0.code == "tenant_mismatch" }
        let codes = Set(answers.map(\.verdict)).sorted().joined(separator: ", ")
        paragraph((mismatches == answers.count ? "Refused at every front end with tenant_mismatch, before any route ran. "
                                               : "\(mismatches) of \(answers.count) answers were tenant_mismatch (seen: \(codes)). ") + """
            The key is consumers' own and the signature is right, so the issuer check of Act 3 has nothing to object to. \
            But a tenant is (issuer, tid), never a tid alone: the consumer realm is (consumers, \(consumers.tenantID)), and a \
            token's tid must be its own issuer's. A consumers token carrying contoso's tid names no tenant at all. It is \
            2023's mistake one level up: then a key was taken by its kid without asking whose it was; here a tenant would \
            be taken by its tid without asking which issuer vouches for it.
            """)
        let names = enterprises.map(\.id)
        let inFeeds = names.map { "\($0): \(tenantBoundary.attemptsInFeeds[$0] ?? -1) of its \(tenantBoundary.feedRecords[$0] ?? 0)" }
        let held = names.reduce(0) { $0 + (tenantBoundary.attemptsInFeeds[$1] ?? 0) }
        let squatted = tenantBoundary.squattedMailboxes
        let tidOnly = names.map { "\($0)'s \(tenantBoundary.tidOnlyFeedRecords[$0] ?? 0) records" }.joined(separator: " and ")
        let accepted = crossing.count { $0.kidOnly.isAccepted }
        let alerts = FrontEnd.allCases.flatMap(world.alerts(of:)).count { $0.code == "tenant_mismatch" }
        let unverified = (try? await unverifiedRecords(of: Set(crossing.map { ExactString($0.tokenID) }))) ?? 0
        paragraph("""
            In the stores afterwards, the tenants' own audit feeds hold \(held == 0 ? "none" : "\(held)") of these requests \
            (\(inFeeds.joined(separator: ", ")) records). \(squatted.isEmpty ? "No mailbox was created for a consumers user in \(names.joined(separator: " or "))"
                                         : "Mailboxes were created: \(squatted.joined(separator: ", "))"). \
            The audit log holds \(unverified) records of the \(answers.count) requests, marked unverified: evidence for the hunt, \
            never part of a feed. \(alerts == 0 ? "They raise no alert (tenant_mismatch is not an alert code)." : "They raised \(alerts) alerts.") \
            The kid-only validator accepts \(accepted) of \(crossing.count) (key found by kid, signature right). A feed chosen \
            by tid alone, behind a validator that took the tid on the token's word, would have handed the consumer key \
            \(tidOnly) (all filed under those tids when the token asked).
            """)
    }

    /// Every mailbox in the mail store.
    private func mailboxes() async throws -> [Mailbox] {
        try await world.mail.store.allMailboxes()
    }

    /// `tenant`'s own audit feed, every page.
    private func feedRecords(of tenant: Tenant) async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        while true {
            let page = try await world.mail.audit.records(of: tenant, after: records.last?.sequence ?? 0, limit: 1_000)
            records += page
            if page.count < 1_000 { return records }
        }
    }

    /// How many records of the whole log carry `tenantID` as their tenant, whatever the issuer or
    /// attribution: what a feed selected by tid alone would hand over.
    private func recordsFiled(underTenantID tenantID: String) async throws -> Int {
        var count = 0
        try await world.mail.audit.forEach { if $0.tenant?.isExactly(tenantID) == true { count += 1 } }
        return count
    }

    /// How many records carry one of `tokenIDs` and are marked unverified.
    private func unverifiedRecords(of tokenIDs: Set<ExactString>) async throws -> Int {
        var count = 0
        try await world.mail.audit.forEach { record in
            if record.attribution == .unverified, let tokenID = record.tokenID, tokenIDs.contains(ExactString(tokenID)) { count += 1 }
        }
        return count
    }
}
