import Foundation
import Keybound

/// One run of the drill: the world, the simulated calendar, what happened so far, and the report
/// lines. Used from one task only; the concurrent parts hand their results back.
final class DrillRun {
    let world: DrillWorld
    let days: Int
    let start: Date
    let say: (String) -> Void
    /// Whether the data directory stays after the run (`--keep`).
    let keptDirectory: Bool

    // Act 1
    var traffic: [String: StormDrillResult.Traffic] = [:]
    var sessions: [String: DrillOAuth.Tokens] = [:]
    var legitimateRefusals: [String] = []
    var rotations = 0
    var newApplicationServed = false

    // Acts 2 to 5
    var stolenKeyID = ""
    var attacker: DrillAttacker?
    var attempts: [StormDrillResult.Attempt] = []
    var forgeries: [ForgedToken] = []
    var kidOnly: KidOnlyValidator?
    var attackStart = Date.distantFuture
    var tenantBoundary = StormDrillResult.TenantBoundary(squattedMailboxes: [], feedRecords: [:], attemptsInFeeds: [:], tidOnlyFeedRecords: [:])

    // Acts 6 to 8
    var findings: [String: Int] = [:]
    var forgedTokenIDs: [String] = []
    var crossIssuerTokenIDs: [String] = []
    /// The attacker requests whose own audit record the hunt listed as a finding.
    var findingRequests: Set<FindingKey> = []
    /// The hunt's trace of the stolen key: records refused, per rejection code.
    var tracedRefusals: [String: Int] = [:]
    var falsePositives = 0
    var leads: [StormDrillResult.Lead] = []
    var lookbackDays = 30
    var incident: StormDrillResult.Incident?
    var aftermath: [StormDrillResult.Aftermath] = []
    var afterResponseAttempts: [StormDrillResult.Attempt] = []
    /// With PKCS#11 custody: why the token refused the attacker's signature after the response.
    var afterResponseSigningRefusal: String?

    init(world: DrillWorld, days: Int, keptDirectory: Bool, say: @escaping (String) -> Void) {
        self.world = world
        self.keptDirectory = keptDirectory
        self.days = days
        self.start = world.clock.now()
        self.say = say
        for tenant in world.tenants { traffic[tenant.id] = StormDrillResult.Traffic(tenant: tenant.id) }
    }

    var clock: DrillClock { world.clock }

    /// Every forged token judged three ways.
    var verdicts: [StormDrillResult.Verdict] {
        forgeries.map { forgery in
            StormDrillResult.Verdict(token: forgery.label, claimedIssuer: forgery.claimedIssuer, kidOnlyAccepted: forgery.kidOnly.isAccepted,
                                     keyboundSignatureCheck: forgery.signatureCheck,
                                     keyboundMail: forgery.answers[.keyboundMail]?.verdict ?? "-", mailEdge: forgery.answers[.edge]?.verdict ?? "-",
                                     legacyValidator: forgery.answers[.legacy]?.verdict ?? "-")
        }
    }

    /// Sets the simulated clock to `hour`:`minute` of day `day` (day 0 is the first day).
    func at(day: Int, _ hour: Int, _ minute: Int = 0) {
        clock.set(start.addingTimeInterval(TimeInterval(day * 86_400 + hour * 3_600 + minute * 60)))
    }

    /// `day 31, 01:35` for a simulated time.
    func label(_ date: Date) -> String {
        let offset = Int(date.timeIntervalSince(start))
        let day = offset / 86_400, minutes = offset % 86_400 / 60
        return "day \(day), " + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    func paragraph(_ text: String) { DrillText.paragraph(text).forEach(say) }
    func table(_ header: [String], _ rows: [[String]]) { DrillText.table(header, rows).forEach(say) }
    func heading(_ text: String) {
        say("")
        say(text)
    }
}

/// One attacker token and what every validator made of it.
struct ForgedToken {
    let label: String
    /// The issuer id of its `iss`.
    let claimedIssuer: String
    /// The organisation whose `tid` it carries.
    let claimedTenant: String
    let tokenID: String
    let token: String
    let claims: String
    /// What the request was after, for tables.
    let aimedAt: String
    /// Whether it is an application token (roles), rather than a user's (scope).
    let isApplication: Bool
    let at: Date
    /// The kid-only validator's verdict at the moment of use.
    let kidOnly: KidOnlyValidator.Verdict
    /// Keybound's verifier over the provider's per-issuer trust, without the ledger: `verified` or the code.
    let signatureCheck: String
    let answers: [FrontEnd: MailAnswer]
}
