import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundHummingbirdTesting
import KeyboundResourceKit
import KeyboundTesting
import KeyboundValidation
import Logging
import Testing

/// The kit's guard on a resource of its own: whatever a handler throws, the attempt is recorded.
@Suite("Resource kit: the guard records every attempt")
struct ResourceGuardTests {
    struct Unexpected: Error {}

    @Test("a handler failing with an error the kit does not know is recorded as internal_error and answered 503, never 500")
    func unknownErrorIsRecorded() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        let issuer = try FakeIssuer("https://login.example.test/contoso", tenantID: "contoso-tid", clock: clock)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-guard-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let audit = try AuditLog(directory: directory)
        let trustStore = try TrustStore(trusting: [issuer])
        let policy = try VerificationPolicy(audience: "api://calendar")
        let verificationClock = clock.verificationClock
        let description = ResourceDescription(name: "Calendar", metricsName: "calendar", audience: "api://calendar", realm: "calendar") { _ in
            ResourceAttempt(operation: "events.list", resource: "calendar/alice")
        }
        let resourceGuard = ResourceGuard(description: description, audit: audit,
                                          trust: ResourceTrust(cache: nil) { TokenVerifier(trust: trustStore, policy: policy, clock: verificationClock) },
                                          logger: Logger(label: "test.guard"), now: clock.function)
        let router = Router(context: ResourceRequestContext.self)
        let requirement = try IdentityRequirement(allowedIssuers: [issuer.identifier])
        resourceGuard.protect(router).get("/events") { request, context in
            try await resourceGuard.serve(request, context, operation: "events.list", requirement: requirement) { _ in throw Unexpected() }
        }
        try await ProtectedResourceTest(Application(router: router)).run { client in
            let response = try await client.get("/events", bearer: try issuer.accessToken(audience: "api://calendar", scope: "Calendars.Read"))
            #expect(response.status == .serviceUnavailable)
            #expect(try StrictJSONParser.parseObject(response.bodyBytes)["keybound_code"]?.stringValue == "internal_error")
        }
        let record = try #require(try await audit.records().last)
        #expect(record.verdict == .denied && record.rejectionCode == "internal_error")
        #expect(record.resourceServer == "api://calendar" && record.resource == "calendar/alice" && record.attribution == .verified)
    }

    @Test("the resources of one environment share one bound on records of refused tokens: two resources do not double it")
    func refusedRecordsBoundPerEnvironment() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-guard-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let audit = try AuditLog(directory: directory)
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let issuer = try FakeIssuer("https://login.example.test/contoso", tenantID: "contoso-tid", clock: clock)
        let trustStore = try TrustStore(trusting: [issuer])
        var environment = ResourceEnvironment(storage: .directory(directory), issuers: [issuer.identifier], audit: audit,
                                              logger: Logger(label: "test.guard"), now: clock.function) { description in
            let policy = try VerificationPolicy(audience: description.audience)
            return ResourceTrust(cache: nil) { TokenVerifier(trust: trustStore, policy: policy, clock: clock.verificationClock) }
        }
        var limits = RefusedAuditLimits()
        (limits.perAddressRate, limits.perAddressBurst) = (0.001, 3)
        environment.refusedAuditLimits = limits
        let router = Router(context: ResourceRequestContext.self)
        for name in ["calendar", "notes"] {
            let description = ResourceDescription(name: name, metricsName: name, audience: "api://\(name)", realm: name) { _ in
                ResourceAttempt(operation: "\(name).list")
            }
            try environment.guardFor(description).protect(router).get("/\(name)") { _, _ in Response(status: .ok) }
        }
        try await ProtectedResourceTest(Application(router: router)).run { client in
            for index in 0..<5 {
                for name in ["calendar", "notes"] {
                    let response = try await client.get("/\(name)", bearer: "junk.\(index).token")
                    #expect(response.status == .unauthorized)
                }
            }
        }
        let records = try await audit.records()
        #expect(records.count == 3, "one burst of 3 for the listener, not 3 per resource: \(records.map(\.operation))")
    }
}
