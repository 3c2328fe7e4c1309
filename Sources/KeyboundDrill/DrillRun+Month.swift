import Foundation
import Keybound
import KeyboundStore

/// Act 1: a month of ordinary work, so the hunt has real traffic to tell the attack apart from.
extension DrillRun {
    var rotationDay: Int { days / 2 }

    func ordinaryMonth() async throws {
        heading("Act 1. Ordinary work (\(days) days)")
        paragraph("""
            Every day each enterprise's mail daemon gets a token and reads its colleagues' mailboxes, and every \
            person's mail app refreshes its token and reads their own mail (the first day they sign in through the \
            login page). The consumer realm has no daemon: a consumer realm has no tenant-wide roles, so no application \
            there reads other people's mail (the provider grants it no client_credentials token). On day \(rotationDay) every issuer starts a scheduled key rotation; the new keys sign from \
            day \(rotationDay + 1). On day \(days - 1) contoso's new archiving app reads a mailbox for the first time.
            """)
        for day in 0..<days {
            at(day: day, 7)
            if day == rotationDay {
                for tenant in world.tenants { try await world.manager.rotate(issuerID: tenant.id, now: clock.now(), actor: "scheduled-rotation") }
            }
            try await world.manager.tick(now: clock.now())
            // The remote front ends' key sets have expired overnight (max-age): fetch them again. The push channel
            // announces every key change too, but a simulated night passes in milliseconds.
            await world.refreshRemoteKeys()
            at(day: day, 9)
            try await daemonsRead()
            at(day: day, 10)
            try await peopleRead()
            if day == days - 1 {
                at(day: day, 15)
                try await newApplicationReads()
            }
        }
        // The access-token keys' rotations (each issuer's RS256 ID-token key rotates on its own schedule too).
        let accessKeys = Set(try await world.manager.keys().filter { $0.purpose == .accessToken }.map { ExactString($0.issuerID + "\u{0}" + $0.keyID) })
        rotations = try await world.manager.events(after: 0, limit: 100_000).filter { event in
            event.kind == .activated && event.at > start && accessKeys.contains(ExactString(event.issuerID + "\u{0}" + event.keyID))
        }.count
        table(["Organisation", "Kind", "People", "Daemon", "Reads mail at", "Tokens", "Served", "Refused"],
              world.tenants.map { tenant in
                  let counts = traffic[tenant.id]!
                  return [tenant.id, tenant.isEnterprise ? "enterprise tenant" : "consumer realm", "\(tenant.users.count)",
                          tenant.daemonSecret == nil ? "none" : "yes", tenant.frontEnd.title, "\(counts.tokensIssued)",
                          "\(counts.requestsServed)", "\(counts.requestsRefused)"]
              })
        let refused = legitimateRefusals.count
        say("  Key rotations completed: \(rotations). " + (refused == 0
            ? "Every ordinary request was served."
            : "\(refused) ordinary requests were refused (unexpected): \(legitimateRefusals.prefix(3).joined(separator: "; "))"))
    }

    /// Each enterprise's daemon: a client-credentials token, then every colleague's mailbox.
    private func daemonsRead() async throws {
        let world = self.world
        let results = try await withThrowingTaskGroup(of: (String, StormDrillResult.Traffic, [String]).self) { group in
            for tenant in world.tenants {
                guard let secret = tenant.daemonSecret else { continue }
                group.addTask {
                    var counts = StormDrillResult.Traffic(tenant: tenant.id)
                    var refusals: [String] = []
                    let token = try await world.oauth.clientCredentials(issuer: tenant.url, clientID: tenant.daemonID, secret: secret)
                    counts.tokensIssued += 1
                    for user in tenant.users {
                        let answer = try await world.readMail(at: tenant.frontEnd, mailbox: user.email, token: token, userAgent: "\(tenant.daemonID)/1.0")
                        Self.count(answer, into: &counts, refusals: &refusals, what: "\(tenant.daemonID) reading \(user.email)")
                    }
                    return (tenant.id, counts, refusals)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (tenant, counts, refusals) in results { merge(tenant, counts, refusals) }
    }

    /// Each person: refresh (or sign in on the first day), then read their own mail.
    private func peopleRead() async throws {
        let world = self.world
        let sessions = self.sessions
        let results = try await withThrowingTaskGroup(of: (String, String, DrillOAuth.Tokens, StormDrillResult.Traffic, [String]).self) { group in
            for tenant in world.tenants {
                for user in tenant.users {
                    group.addTask {
                        var counts = StormDrillResult.Traffic(tenant: tenant.id)
                        var refusals: [String] = []
                        let tokens = try await Self.session(world, tenant, user, current: sessions[user.email])
                        counts.tokensIssued += 1
                        let answer = try await world.readMail(at: tenant.frontEnd, mailbox: nil, token: tokens.accessToken,
                                                              userAgent: "\(tenant.webClientID)/1.0")
                        Self.count(answer, into: &counts, refusals: &refusals, what: "\(user.email) reading their mail")
                        return (tenant.id, user.email, tokens, counts, refusals)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (tenant, email, tokens, counts, refusals) in results {
            self.sessions[email] = tokens
            merge(tenant, counts, refusals)
        }
    }

    /// The hard case for the first-time rule: a legitimately new application.
    private func newApplicationReads() async throws {
        let contoso = world.tenant(DrillCast.contoso)
        let secret = try await DrillCast.registerNewApplication(at: contoso, context: world.context, now: clock.now())
        world.context.directory.invalidate()
        var counts = StormDrillResult.Traffic(tenant: contoso.id)
        var refusals: [String] = []
        let token = try await world.oauth.clientCredentials(issuer: contoso.url, clientID: DrillCast.newApplication, secret: secret)
        counts.tokensIssued += 1
        let mailbox = contoso.users[1].email
        let answer = try await world.readMail(at: contoso.frontEnd, mailbox: mailbox, token: token, userAgent: "\(DrillCast.newApplication)/1.0")
        Self.count(answer, into: &counts, refusals: &refusals, what: "\(DrillCast.newApplication) reading \(mailbox)")
        newApplicationServed = answer.served
        merge(contoso.id, counts, refusals)
    }

    /// The person's tokens for today: a refresh of yesterday's, or a sign-in.
    static func session(_ world: DrillWorld, _ tenant: DrillTenant, _ user: DrillUser, current: DrillOAuth.Tokens?) async throws -> DrillOAuth.Tokens {
        if let refreshToken = current?.refreshToken,
           let refreshed = try await world.oauth.refresh(issuer: tenant.url, clientID: tenant.webClientID, refreshToken: refreshToken) {
            return refreshed
        }
        return try await world.oauth.signIn(issuer: tenant.url, clientID: tenant.webClientID, username: user.username, password: user.password)
    }

    static func count(_ answer: MailAnswer, into counts: inout StormDrillResult.Traffic, refusals: inout [String], what: String) {
        if answer.served {
            counts.requestsServed += 1
            counts.itemsRead += answer.items
        } else {
            counts.requestsRefused += 1
            refusals.append("\(what): \(answer.verdict)")
        }
    }

    private func merge(_ tenant: String, _ counts: StormDrillResult.Traffic, _ refusals: [String]) {
        traffic[tenant]!.tokensIssued += counts.tokensIssued
        traffic[tenant]!.requestsServed += counts.requestsServed
        traffic[tenant]!.requestsRefused += counts.requestsRefused
        traffic[tenant]!.itemsRead += counts.itemsRead
        legitimateRefusals += refusals
    }
}
