import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundFiles
import KeyboundHummingbirdTesting
import KeyboundResourceKit
import KeyboundTesting
import Testing

@Suite("Keybound Files: a second protected resource on the kit")
struct FilesRoutesTests {
    @Test("the owner writes, replaces, reads and lists a file; each attempt is one audit record naming the drive and the file",
          arguments: ResourceTestTransport.allCases)
    func ownerRoundTrip(transport: ResourceTestTransport) async throws {
        let fixture = try await FilesOnFakeIssuers()
        defer { fixture.remove() }
        let token = try fixture.userToken(fixture.contoso)
        try await ProtectedResourceTest(fixture.app).run(transport) { client in
            let created = try await client.execute("/me/drive/files/plan.txt", method: .put, bearer: token,
                                                   headers: [.contentType: "text/plain"], body: Array("first".utf8))
            #expect(created.status == .created)
            let write = try await fixture.lastAudit()
            #expect(write.operation == "files.write" && write.verdict == .allowed)
            #expect(write.resource == "drive/alice" && write.resourceServer == FilesAPI.audience && write.itemIDs == ["plan.txt"])
            #expect(write.tenant == "contoso-tid" && write.tenantIssuer == fixture.contoso.identifier)

            let replaced = try await client.execute("/me/drive/files/plan.txt", method: .put, bearer: token, body: Array("second".utf8))
            #expect(replaced.status == .ok)
            let read = try await client.get("/me/drive/files/plan.txt", bearer: token)
            #expect(read.status == .ok)
            #expect(String(decoding: read.bodyBytes, as: UTF8.self) == "second")
            #expect(read.headers[.contentType] == "application/octet-stream")
            let listed = try await client.get("/me/drive/files", bearer: token)
            let names = try StrictJSONParser.parseObject(listed.bodyBytes)["value"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue }
            #expect(names == ["plan.txt"])
            let records = try await fixture.audit.records(after: 0, limit: 100)
            #expect(records.map(\.operation) == ["files.write", "files.write", "files.read", "files.list"])
        }
    }

    @Test("the same subject in two issuers is two drives: fabrikam's alice finds nothing of contoso's alice")
    func sameSubjectTwoIssuers() async throws {
        let fixture = try await FilesOnFakeIssuers()
        defer { fixture.remove() }
        try await ProtectedResourceTest(fixture.app).run { client in
            let written = try await client.execute("/me/drive/files/secret.txt", method: .put, bearer: try fixture.userToken(fixture.contoso),
                                                   body: Array("contoso only".utf8))
            #expect(written.status == .created)
            let other = try fixture.userToken(fixture.fabrikam)
            let read = try await client.get("/me/drive/files/secret.txt", bearer: other)
            #expect(read.status == .notFound)
            #expect(try StrictJSONParser.parseObject(read.bodyBytes)["keybound_code"]?.stringValue == "file_not_found")
            let record = try await fixture.lastAudit()
            #expect(record.verdict == .denied && record.rejectionCode == "file_not_found" && record.tenant == "fabrikam-tid")
            let listed = try await client.get("/me/drive/files", bearer: other)
            #expect(try StrictJSONParser.parseObject(listed.bodyBytes)["value"]?.arrayValue?.isEmpty == true)
            // An application of fabrikam lists "alice": fabrikam's alice, never contoso's.
            let application = try await client.get("/users/alice/drive/files", bearer: try fixture.applicationToken(fixture.fabrikam))
            #expect(application.status == .ok)
            #expect(try StrictJSONParser.parseObject(application.bodyBytes)["value"]?.arrayValue?.isEmpty == true)
            let own = try await client.get("/users/alice/drive/files", bearer: try fixture.applicationToken(fixture.contoso))
            #expect(try StrictJSONParser.parseObject(own.bodyBytes)["value"]?.arrayValue?.count == 1)
        }
    }

    @Test("a token signed by fabrikam's key that claims contoso is refused and audited with what it aimed at")
    func crossIssuerForgeryRefused() async throws {
        let fixture = try await FilesOnFakeIssuers()
        defer { fixture.remove() }
        let forged = try fixture.fabrikam.accessToken(subject: "alice", audience: FilesAPI.audience, scope: FilesAPI.readScope,
                                                      claimedIssuer: fixture.contoso.identifier, extra: JSONObject(["tid": .string("contoso-tid")]))
        try await ProtectedResourceTest(fixture.app).run { client in
            let response = try await client.get("/me/drive/files/plan.txt", bearer: forged)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("realm=\"keybound-files\"") == true)
            let record = try await fixture.lastAudit()
            #expect(record.verdict == .denied && record.rejectionCode == RejectionCode.issuerKeyMismatch.rawValue)
            #expect(record.operation == "files.read" && record.itemIDs == ["plan.txt"])
            #expect(record.attribution == .unverified)
        }
    }

    @Test("Keybound Mail's token does not open Keybound Files, a read scope does not write, and a user token does not list other drives")
    func audienceAndScopes() async throws {
        let fixture = try await FilesOnFakeIssuers()
        defer { fixture.remove() }
        try await ProtectedResourceTest(fixture.app).run { client in
            let mailToken = try fixture.contoso.accessToken(subject: "alice", audience: "api://mail", scope: "Mail.Read")
            let wrongAudience = try await client.get("/me/drive/files", bearer: mailToken)
            #expect(wrongAudience.status == .unauthorized)
            #expect(try await fixture.lastAudit().rejectionCode == RejectionCode.audienceMismatch.rawValue)

            let reader = try fixture.userToken(fixture.contoso, scope: FilesAPI.readScope)
            let write = try await client.execute("/me/drive/files/x", method: .put, bearer: reader, body: Array("x".utf8))
            #expect(write.status == .forbidden)
            #expect(write.headers[.wwwAuthenticate]?.contains("realm=\"keybound-files\"") == true)
            #expect(try await fixture.lastAudit().verdict == .denied)

            let listOthers = try await client.get("/users/bob/drive/files", bearer: reader)
            #expect(listOthers.status == .forbidden)
            let record = try await fixture.lastAudit()
            #expect(record.resource == "drive/bob" && record.verdict == .denied)
        }
    }

    @Test("a file over the size limit gets 413, a new file in a full drive 409, and neither is stored")
    func bounded() async throws {
        let fixture = try await FilesOnFakeIssuers(maximumFileBytes: 16, maximumFiles: 1)
        defer { fixture.remove() }
        let token = try fixture.userToken(fixture.contoso)
        try await ProtectedResourceTest(fixture.app).run { client in
            let large = try await client.execute("/me/drive/files/big", method: .put, bearer: token,
                                                 body: [UInt8](repeating: 1, count: 17))
            #expect(large.status == .contentTooLarge)
            #expect(try await fixture.lastAudit().rejectionCode == "request_too_large")
            #expect(try await client.execute("/me/drive/files/a", method: .put, bearer: token, body: Array("a".utf8)).status == .created)
            let full = try await client.execute("/me/drive/files/b", method: .put, bearer: token, body: Array("b".utf8))
            #expect(full.status == .conflict)
            #expect(try await fixture.lastAudit().rejectionCode == "drive_full")
            #expect(try await client.execute("/me/drive/files/a", method: .put, bearer: token, body: Array("A".utf8)).status == .ok,
                    "replacing a file in a full drive is allowed")
            let owner = DriveOwner(issuer: fixture.contoso.identifier, tenantID: "contoso-tid", subject: "alice")
            #expect(try await fixture.files.store.files(of: owner).map(\.name) == ["a"])
        }
    }

    @Test("path segments are percent-decoded before use, as the audit reads them; one that does not decode is 400 and audited")
    func percentDecodedNames() async throws {
        let fixture = try await FilesOnFakeIssuers()
        defer { fixture.remove() }
        let token = try fixture.userToken(fixture.contoso)
        try await ProtectedResourceTest(fixture.app).run { client in
            let written = try await client.execute("/me/drive/files/q3%20plan.txt", method: .put, bearer: token, body: Array("x".utf8))
            #expect(written.status == .created)
            #expect(try await fixture.lastAudit().itemIDs == ["q3 plan.txt"])
            let read = try await client.get("/me/drive/files/q3%20plan.txt", bearer: token)
            #expect(read.status == .ok)
            let listed = try await client.get("/me/drive/files", bearer: token)
            #expect(try StrictJSONParser.parseObject(listed.bodyBytes)["value"]?.arrayValue?.first?.objectValue?["name"]?.stringValue == "q3 plan.txt")
            let control = try await client.execute("/me/drive/files/a%0Ab", method: .put, bearer: token, body: Array("x".utf8))
            #expect(control.status == .badRequest, "a decoded control character is not a name")
            let broken = try await client.get("/me/drive/files/%FF", bearer: token)
            #expect(broken.status == .badRequest)
            let record = try await fixture.lastAudit()
            #expect(record.verdict == .denied && record.rejectionCode == "invalid_request" && record.operation == "files.read")
        }
    }
}
