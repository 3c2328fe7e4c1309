import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundFiles
import KeyboundHummingbirdTesting
import KeyboundResourceKit
import KeyboundTesting
import KeyboundValidation
import Testing

/// Keybound Files alone, on the kit, without a provider: two fake issuers (KeyboundTesting) whose
/// users share the subject `alice`, and Keybound Mail beside it on one ``ResourceHost``.
struct FilesOnFakeIssuers {
    let clock: TestClock
    let contoso: FakeIssuer
    let fabrikam: FakeIssuer
    let directory: URL
    let audit: AuditLog
    let files: FilesService

    init(maximumFileBytes: Int = 1 << 20, maximumFiles: Int = 1_000) async throws {
        clock = TestClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        contoso = try FakeIssuer("https://login.example.test/contoso", tenantID: "contoso-tid", clock: clock)
        fabrikam = try FakeIssuer("https://login.example.test/fabrikam", tenantID: "fabrikam-tid", clock: clock)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-files-\(UUID().uuidString)")
        audit = try AuditLog(directory: directory)
        let trustStore = try TrustStore(trusting: [contoso, fabrikam])
        let verificationClock = clock.verificationClock
        let environment = ResourceEnvironment(storage: .directory(directory), issuers: [contoso.identifier, fabrikam.identifier],
                                              audit: audit, logger: .init(label: "files-test"), now: clock.function) { description in
            let policy = try VerificationPolicy(audience: description.audience)
            return ResourceTrust(cache: VerifiedTokenCache()) { TokenVerifier(trust: trustStore, policy: policy, clock: verificationClock) }
        }
        var files = try await FilesService.open(environment)
        files.maximumFileBytes = maximumFileBytes
        files.maximumFiles = maximumFiles
        self.files = files
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    var app: some ApplicationProtocol { Application(router: ResourceHost([files], audit: audit).router()) }

    /// A delegated token of `issuer`'s `subject` for `scope`.
    func userToken(_ issuer: FakeIssuer, _ subject: String = "alice", scope: String = "Files.ReadWrite") throws -> String {
        try issuer.accessToken(subject: subject, audience: FilesAPI.audience, scope: scope)
    }

    /// An application token of `issuer` with the role `Files.Read.All`.
    func applicationToken(_ issuer: FakeIssuer) throws -> String {
        try issuer.accessToken(subject: "daemon", audience: FilesAPI.audience, roles: [FilesAPI.readAllRole])
    }

    /// The last audit record.
    func lastAudit() async throws -> AuditRecord { try #require(try await audit.records(after: 0, limit: 10_000).last) }
}
