import Foundation
@testable import KeyboundPKCS11
import Synchronization
import Testing

/// A key generation the token refused outright is tried again, three attempts in all (SoftHSM2 now and then refuses
/// one of several concurrent generations, a key pair or the KEK); after the token went away it is
/// not, since the first call may have made the key.
@Suite("PKCS#11 custody: a refused key generation is tried up to three times")
struct PKCS11GenerationRetryTests {
    /// `CKR_GENERAL_ERROR` and `CKR_DEVICE_REMOVED`, as PKCS#11 numbers them.
    static let generalError = PKCS11CallError(function: "C_GenerateKey", value: 0x5)
    static let deviceRemoved = PKCS11CallError(function: "C_GenerateKey", value: 0x32)

    @Test("refused once (CKR_GENERAL_ERROR): the second call's key is the answer")
    func refusedOnce() throws {
        let calls = Mutex(0)
        let key = try PKCS11CallError.retryingRefusedGeneration { () throws(PKCS11CallError) -> Int in
            let call = calls.withLock { $0 += 1; return $0 }
            if call == 1 { throw Self.generalError }
            return 42
        }
        #expect(key == 42 && calls.withLock { $0 } == 2)
    }

    @Test("refused twice: the third call's key is the answer")
    func refusedTwice() throws {
        let calls = Mutex(0)
        let key = try PKCS11CallError.retryingRefusedGeneration { () throws(PKCS11CallError) -> Int in
            let call = calls.withLock { $0 += 1; return $0 }
            if call < 3 { throw Self.generalError }
            return 7
        }
        #expect(key == 7 && calls.withLock { $0 } == 3)
    }

    @Test("refused every time: the last refusal is the answer, after three calls and no more")
    func refusedAlways() {
        let calls = Mutex(0)
        let error = #expect(throws: PKCS11CallError.self) {
            try PKCS11CallError.retryingRefusedGeneration { () throws(PKCS11CallError) -> Int in
                calls.withLock { $0 += 1 }
                throw Self.generalError
            }
        }
        #expect(error?.value == 0x5 && calls.withLock { $0 } == 3)
    }

    @Test("the token went away (CKR_DEVICE_REMOVED): never called again")
    func tokenGone() {
        let calls = Mutex(0)
        let error = #expect(throws: PKCS11CallError.self) {
            try PKCS11CallError.retryingRefusedGeneration { () throws(PKCS11CallError) -> Int in
                calls.withLock { $0 += 1 }
                throw Self.deviceRemoved
            }
        }
        #expect(error?.isTokenGone == true && calls.withLock { $0 } == 1)
    }
}
