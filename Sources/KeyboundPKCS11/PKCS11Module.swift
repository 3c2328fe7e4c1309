import CKeyboundPKCS11
import Keybound
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A failed `C_*` call: the function's name and the `CKR_` value it returned.
struct PKCS11CallError: Error, Sendable {
    let function: String
    let value: CK_RV

    /// Whether the value says the token or the session went away (removed, closed, logged out),
    /// so that a reconnection may help.
    var isTokenGone: Bool {
        [CK_RV(CKR_DEVICE_REMOVED), CK_RV(CKR_DEVICE_ERROR), CK_RV(CKR_TOKEN_NOT_PRESENT), CK_RV(CKR_TOKEN_NOT_RECOGNIZED),
         CK_RV(CKR_SESSION_CLOSED), CK_RV(CKR_SESSION_HANDLE_INVALID), CK_RV(CKR_USER_NOT_LOGGED_IN),
         CK_RV(CKR_CRYPTOKI_NOT_INITIALIZED)].contains(value)
    }

    /// Whether the value says an object handle no longer names an object (destroyed elsewhere).
    var isStaleHandle: Bool {
        value == CK_RV(CKR_OBJECT_HANDLE_INVALID) || value == CK_RV(CKR_KEY_HANDLE_INVALID)
    }

    /// Pauses before a refused generation's second and third attempts: SoftHSM2's refusals come
    /// from concurrent generations writing its token files, so trying again at once can meet the
    /// same one.
    static let generationRetryPauses: [Duration] = [.milliseconds(20), .milliseconds(150)]

    /// Runs a key generation, and again (up to three attempts, after the pauses above) while the
    /// token refuses it outright: SoftHSM2 now and then refuses one of several concurrent
    /// generations with `CKR_GENERAL_ERROR`. A refused call made nothing; after the token went away
    /// nothing is retried, since the call may have made the key before it did, and a retry would
    /// make a second. Runs on a PKCS#11 pool thread, which the pauses hold.
    static func retryingRefusedGeneration<T>(_ generate: () throws(PKCS11CallError) -> T) throws(PKCS11CallError) -> T {
        for pause in generationRetryPauses {
            do {
                return try generate()
            } catch where !error.isTokenGone {
                let (seconds, attoseconds) = pause.components
                usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            }
        }
        return try generate()
    }

    /// `C_Sign returned CKR_DEVICE_REMOVED (0x32)`.
    var description: String { "\(function) returned \(PKCS11ReturnValue.name(of: value)) (0x\(String(value, radix: 16)))" }
}

/// A loaded PKCS#11 module, initialised once per path for the life of the process: two
/// configurations naming one module share it, since a module is initialised once per process.
///
/// Its calls are synchronous and may block on the device; `PKCS11Token` makes them on its own
/// threads only. The module was initialised with `CKF_OS_LOCKING_OK`, so calls from several
/// threads are safe as long as no two use one session at once.
final class PKCS11Module: @unchecked Sendable {
    let path: String
    private let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    /// The module at `path`, loaded and initialised on first use.
    static func shared(path: String) throws(PKCS11Error) -> PKCS11Module {
        let result: Result<PKCS11Module, PKCS11Error> = loaded.withLock { modules in
            if let module = modules[path] { return .success(module) }
            do throws(PKCS11Error) {
                let module = try PKCS11Module(path: path)
                modules[path] = module
                return .success(module)
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    private init(path: String) throws(PKCS11Error) {
        self.path = path
        var library: UnsafeMutableRawPointer?
        var reason = [CChar](repeating: 0, count: 512)
        guard let list = keybound_pkcs11_load(path, &library, &reason, UInt(reason.count)) else {
            let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw PKCS11Error(.module, "cannot load the PKCS#11 module '\(path)': \(text)")
        }
        let f = list.pointee
        let present: [Bool] = [f.C_Initialize != nil, f.C_GetSlotList != nil, f.C_GetTokenInfo != nil, f.C_OpenSession != nil,
                               f.C_CloseSession != nil, f.C_Login != nil, f.C_FindObjectsInit != nil, f.C_FindObjects != nil,
                               f.C_FindObjectsFinal != nil, f.C_GetAttributeValue != nil, f.C_SetAttributeValue != nil,
                               f.C_GenerateKeyPair != nil, f.C_SignInit != nil, f.C_Sign != nil, f.C_DestroyObject != nil]
        guard !present.contains(false) else {
            keybound_pkcs11_unload(library)
            throw PKCS11Error(.module, "the PKCS#11 module '\(path)' lacks functions Keybound calls")
        }
        var arguments = CK_C_INITIALIZE_ARGS()
        arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let value = withUnsafeMutablePointer(to: &arguments) { list.pointee.C_Initialize!(UnsafeMutableRawPointer($0)) }
        guard value == CK_RV(CKR_OK) || value == CK_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED) else {
            keybound_pkcs11_unload(library)
            throw PKCS11Error(.module, "the PKCS#11 module '\(path)' did not initialise: \(PKCS11CallError(function: "C_Initialize", value: value).description)")
        }
        self.functions = list
    }

    private func check(_ value: CK_RV, _ function: String) throws(PKCS11CallError) {
        guard value == CK_RV(CKR_OK) else { throw PKCS11CallError(function: function, value: value) }
    }

    /// The slots that hold a token.
    func slotsWithTokens() throws(PKCS11CallError) -> [CK_SLOT_ID] {
        var count: CK_ULONG = 0
        try check(functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), nil, &count), "C_GetSlotList")
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try check(slots.withUnsafeMutableBufferPointer { functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), $0.baseAddress, &count) }, "C_GetSlotList")
        return Array(slots.prefix(Int(count)))
    }

    /// The label of the token in `slot`, without PKCS#11's padding spaces, as bytes.
    func tokenLabel(slot: CK_SLOT_ID) throws(PKCS11CallError) -> [UInt8] {
        var info = CK_TOKEN_INFO()
        try check(functions.pointee.C_GetTokenInfo!(slot, &info), "C_GetTokenInfo")
        var label = withUnsafeBytes(of: info.label) { Array($0) }
        while label.last == UInt8(ascii: " ") || label.last == 0 { label.removeLast() }
        return label
    }

    func openSession(slot: CK_SLOT_ID) throws(PKCS11CallError) -> CK_SESSION_HANDLE {
        var session: CK_SESSION_HANDLE = 0
        try check(functions.pointee.C_OpenSession!(slot, CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &session), "C_OpenSession")
        return session
    }

    func closeSession(_ session: CK_SESSION_HANDLE) {
        _ = functions.pointee.C_CloseSession!(session)
    }

    /// Logs the user in with `pin`; a token already logged in (by another session of this process) is fine.
    func login(_ session: CK_SESSION_HANDLE, pin: inout [UInt8]) throws(PKCS11CallError) {
        let value = pin.withUnsafeMutableBufferPointer { functions.pointee.C_Login!(session, CK_USER_TYPE(CKU_USER), $0.baseAddress, CK_ULONG($0.count)) }
        guard value != CK_RV(CKR_USER_ALREADY_LOGGED_IN) else { return }
        try check(value, "C_Login")
    }

    /// The objects that match `template`.
    func findObjects(_ session: CK_SESSION_HANDLE, _ template: PKCS11Template) throws(PKCS11CallError) -> [CK_OBJECT_HANDLE] {
        let value = template.withAttributes { functions.pointee.C_FindObjectsInit!(session, $0, $1) }
        try check(value, "C_FindObjectsInit")
        var found: [CK_OBJECT_HANDLE] = []
        var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 16)
        var failure: PKCS11CallError?
        while true {
            var count: CK_ULONG = 0
            let value = batch.withUnsafeMutableBufferPointer { functions.pointee.C_FindObjects!(session, $0.baseAddress, CK_ULONG($0.count), &count) }
            guard value == CK_RV(CKR_OK) else { failure = PKCS11CallError(function: "C_FindObjects", value: value); break }
            if count == 0 { break }
            found += batch.prefix(Int(count))
        }
        _ = functions.pointee.C_FindObjectsFinal!(session)
        if let failure { throw failure }
        return found
    }

    /// The value of one attribute of `object`.
    func attribute(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: CK_ATTRIBUTE_TYPE) throws(PKCS11CallError) -> [UInt8] {
        var attribute = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
        try check(functions.pointee.C_GetAttributeValue!(session, object, &attribute, 1), "C_GetAttributeValue")
        // CK_UNAVAILABLE_INFORMATION, or a size no attribute Keybound reads has.
        guard attribute.ulValueLen <= 1 << 16 else { throw PKCS11CallError(function: "C_GetAttributeValue", value: CK_RV(CKR_ATTRIBUTE_VALUE_INVALID)) }
        var bytes = [UInt8](repeating: 0, count: Int(attribute.ulValueLen))
        let value = bytes.withUnsafeMutableBytes { buffer in
            attribute.pValue = buffer.baseAddress
            return functions.pointee.C_GetAttributeValue!(session, object, &attribute, 1)
        }
        try check(value, "C_GetAttributeValue")
        return Array(bytes.prefix(Int(attribute.ulValueLen)))
    }

    /// What `C_GetAttributeValue` answers when asked for the size of one attribute: `CKR_OK`, or
    /// `CKR_ATTRIBUTE_SENSITIVE` for a private value a token will not reveal.
    func attributeReadResult(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: CK_ATTRIBUTE_TYPE) -> CK_RV {
        var attribute = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
        return functions.pointee.C_GetAttributeValue!(session, object, &attribute, 1)
    }

    func setAttributes(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ template: PKCS11Template) throws(PKCS11CallError) {
        try check(template.withAttributes { functions.pointee.C_SetAttributeValue!(session, object, $0, $1) }, "C_SetAttributeValue")
    }

    /// Generates a key pair inside the token: (public, private) object handles.
    func generateKeyPair(_ session: CK_SESSION_HANDLE, mechanism: CK_MECHANISM_TYPE, publicTemplate: PKCS11Template,
                         privateTemplate: PKCS11Template) throws(PKCS11CallError) -> (CK_OBJECT_HANDLE, CK_OBJECT_HANDLE) {
        var mechanism = CK_MECHANISM(mechanism: mechanism, pParameter: nil, ulParameterLen: 0)
        var publicKey: CK_OBJECT_HANDLE = 0, privateKey: CK_OBJECT_HANDLE = 0
        let value = publicTemplate.withAttributes { publicAttributes, publicCount in
            privateTemplate.withAttributes { privateAttributes, privateCount in
                functions.pointee.C_GenerateKeyPair!(session, &mechanism, publicAttributes, publicCount,
                                                    privateAttributes, privateCount, &publicKey, &privateKey)
            }
        }
        try check(value, "C_GenerateKeyPair")
        return (publicKey, privateKey)
    }

    /// Signs `data` with `key` under `mechanism`; `parameter` is the mechanism's parameter block, if any.
    func sign(_ session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, mechanism: CK_MECHANISM_TYPE,
              parameter: [UInt8], data: [UInt8]) throws(PKCS11CallError) -> [UInt8] {
        var parameter = parameter
        let initValue = parameter.withUnsafeMutableBytes { block in
            var mechanism = CK_MECHANISM(mechanism: mechanism, pParameter: block.isEmpty ? nil : block.baseAddress,
                                         ulParameterLen: CK_ULONG(block.count))
            return functions.pointee.C_SignInit!(session, &mechanism, key)
        }
        try check(initValue, "C_SignInit")
        var data = data
        var signature = [UInt8](repeating: 0, count: 1024)
        var length = CK_ULONG(signature.count)
        let value = data.withUnsafeMutableBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { output in
                functions.pointee.C_Sign!(session, input.baseAddress, CK_ULONG(input.count), output.baseAddress, &length)
            }
        }
        try check(value, "C_Sign")
        return Array(signature.prefix(Int(length)))
    }

    /// Generates a secret key (`C_GenerateKey`) from `template`.
    func generateKey(_ session: CK_SESSION_HANDLE, mechanism: CK_MECHANISM_TYPE, template: PKCS11Template) throws(PKCS11CallError) -> CK_OBJECT_HANDLE {
        guard let generate = functions.pointee.C_GenerateKey else { throw PKCS11CallError(function: "C_GenerateKey", value: CK_RV(CKR_FUNCTION_NOT_SUPPORTED)) }
        var mechanism = CK_MECHANISM(mechanism: mechanism, pParameter: nil, ulParameterLen: 0)
        var key = CK_OBJECT_HANDLE(0)
        try check(template.withAttributes { generate(session, &mechanism, $0, $1, &key) }, "C_GenerateKey")
        return key
    }

    /// AES-GCM under `key` with `nonce`, `associatedData` and a 128-bit tag (`CKM_AES_GCM`):
    /// encrypts `input` into ciphertext ‖ tag, or (`encrypting` false) decrypts and checks
    /// ciphertext ‖ tag. The output is written straight into locked memory.
    func aesGCM(_ session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, encrypting: Bool, nonce: [UInt8], associatedData: [UInt8],
                input: UnsafeRawBufferPointer) throws(PKCS11CallError) -> LockedBytes {
        let (name, initName) = encrypting ? ("C_Encrypt", "C_EncryptInit") : ("C_Decrypt", "C_DecryptInit")
        guard encrypting || input.count >= 16 else { throw PKCS11CallError(function: name, value: CK_RV(CKR_ENCRYPTED_DATA_LEN_RANGE)) }
        guard let initialise = encrypting ? functions.pointee.C_EncryptInit : functions.pointee.C_DecryptInit,
              let operate = encrypting ? functions.pointee.C_Encrypt : functions.pointee.C_Decrypt else {
            throw PKCS11CallError(function: initName, value: CK_RV(CKR_FUNCTION_NOT_SUPPORTED))
        }
        var nonce = nonce, associatedData = associatedData
        let initValue = nonce.withUnsafeMutableBufferPointer { iv in
            associatedData.withUnsafeMutableBufferPointer { aad in
                var parameters = CK_GCM_PARAMS(pIv: iv.baseAddress, ulIvLen: CK_ULONG(iv.count), ulIvBits: CK_ULONG(iv.count * 8),
                                               pAAD: aad.baseAddress, ulAADLen: CK_ULONG(aad.count), ulTagBits: 128)
                return withUnsafeMutableBytes(of: &parameters) { block in
                    var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_GCM), pParameter: block.baseAddress,
                                                 ulParameterLen: CK_ULONG(block.count))
                    return initialise(session, &mechanism, key)
                }
            }
        }
        try check(initValue, initName)
        // Room for the whole input besides the tag: some modules (SoftHSM2) ask for it when decrypting.
        let output = LockedBytes(count: input.count + 16)
        var length = CK_ULONG(output.count)
        let value = output.withUnsafeMutableBytes { out in
            operate(session, UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress), CK_ULONG(input.count),
                    out.bindMemory(to: UInt8.self).baseAddress, &length)
        }
        try check(value, name)
        let expected = encrypting ? input.count + 16 : input.count - 16
        guard Int(length) == expected else { throw PKCS11CallError(function: name, value: CK_RV(CKR_DATA_LEN_RANGE)) }
        return output.withUnsafeBytes { LockedBytes(copying: UnsafeRawBufferPointer(rebasing: $0.prefix(expected))) }
    }

    func destroyObject(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE) throws(PKCS11CallError) {
        try check(functions.pointee.C_DestroyObject!(session, object), "C_DestroyObject")
    }
}
