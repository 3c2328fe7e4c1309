import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundAudit
import KeyboundHunt
import KeyboundIncident
import KeyboundMail
import KeyboundFiles
import KeyboundPostgres
import KeyboundPKCS11
import KeyboundStore
import Testing

/// Every code a token or a request can be refused with, and every store error code, is
/// documented in `docs/errors.md` (as `` `code` ``), so an operator who reads one in a log or a
/// response finds what it means.
@Suite("docs/errors.md documents every code")
struct ErrorCodesDocumentedTests {
    static func errorsDocument() throws -> String {
        try String(contentsOf: VectorFiles.repositoryRoot().appendingPathComponent("docs/errors.md"), encoding: .utf8)
    }

    @Test("every token rejection code", arguments: RejectionCode.all)
    func rejectionCode(code: RejectionCode) throws {
        #expect(try Self.errorsDocument().contains("`\(code.rawValue)`"), "docs/errors.md does not document \(code.rawValue)")
    }

    @Test("every access denial code of a protected resource", arguments: AccessDenial.Code.all.map(\.rawValue))
    func accessDenial(code: String) throws {
        #expect(try Self.errorsDocument().contains("`\(code)`"), "docs/errors.md does not document \(code)")
    }

    @Test("every store error code", arguments: StoreError.Code.allCases)
    func storeError(code: StoreError.Code) throws {
        #expect(try Self.errorsDocument().contains("`\(code.rawValue)`"), "docs/errors.md does not document \(code.rawValue)")
    }

    @Test("every error code of the audit log, the hunt, incident response, Keybound Mail's and Files' stores, PostgreSQL and PKCS#11 custody",
          arguments: AuditError.Code.allCases.map(\.rawValue) + HuntError.Code.allCases.map(\.rawValue)
            + IncidentError.Code.allCases.map(\.rawValue) + MailStoreError.Code.allCases.map(\.rawValue)
            + FileStoreError.Code.allCases.map(\.rawValue)
            + PostgresStorageError.Code.allCases.map(\.rawValue) + PKCS11Error.Code.allCases.map(\.rawValue))
    func moduleError(code: String) throws {
        #expect(try Self.errorsDocument().contains("`\(code)`"), "docs/errors.md does not document \(code)")
    }
}
