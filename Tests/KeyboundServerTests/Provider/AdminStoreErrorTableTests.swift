@testable import KeyboundServer
@testable import KeyboundStore
import Logging
import Testing

/// The admin API's answer to every store error code, from one exhaustive table (not by the
/// code's spelling), and its HTTP status.
@Suite("Admin API: the store error table")
struct AdminStoreErrorTableTests {
    @Test("every code has its answer, and each answer its status and OAuth error", arguments: StoreError.Code.allCases)
    func everyCode(code: StoreError.Code) {
        let answer = AdminEndpoints.answer(for: code)
        let error = AdminEndpoints.map(StoreError(code, "why"), logger: Logger(label: "test"))
        switch answer {
        case .notFound: #expect(error.status == .notFound && error.error == "not_found" && code.rawValue.hasSuffix("_not_found"))
        case .conflict: #expect(error.status == .conflict && error.error == "conflict" && code.rawValue.hasSuffix("_exists"))
        case .invalidSettings: #expect(error.status == .badRequest && error.error == "invalid_settings")
        case .unavailable: #expect(error.status == .serviceUnavailable && error.error == "temporarily_unavailable" && [.storage, .custodyUnavailable].contains(code))
        case .serverError: #expect(error.status == .internalServerError && error.error == "server_error" && error.errorDescription == "the store failed")
        }
    }

    @Test("a KEK that is not 32 bytes is the operator's mistake, not the caller's: 500, not invalid_settings")
    func invalidKEKIsNotASetting() {
        #expect(AdminEndpoints.answer(for: .invalidKEK) == .serverError)
        #expect(AdminEndpoints.answer(for: .invalidResource) == .invalidSettings)
    }
}
