import CKeyboundPKCS11
import Keybound
import NIOPosix
import Synchronization

/// One PKCS#11 token that holds signing keys: generates them inside itself, will not export their
/// private halves, and signs with them.
///
/// Every `C_*` call runs on the token's own thread pool (as many threads as configured sessions),
/// never on an event loop or a cooperative thread. A pool thread takes an idle session, or opens
/// and logs in a new one, so at most ``PKCS11Configuration/sessions`` sessions sign at once.
///
/// When the token goes away (removed, or its sessions lost), the call fails closed with
/// ``PKCS11ErrorCode/unavailable``; the token's sessions and cached object handles are dropped,
/// and a later call reconnects once the token is back. No restart is needed.
public final class PKCS11Token: Sendable {
    /// The configuration it was opened with.
    public let configuration: PKCS11Configuration
    private let module: PKCS11Module
    private let pool: NIOThreadPool
    private let state = Mutex(Connection())

    /// What is known of the token while it stays connected; emptied when it goes away.
    private struct Connection {
        var slot: CK_SLOT_ID?
        var idleSessions: [CK_SESSION_HANDLE] = []
        /// Bumped on each disconnection: a session of an older generation is closed, not reused.
        var generation = 0
        /// Private key objects by `CKA_ID`.
        var privateKeys: [[UInt8]: CK_OBJECT_HANDLE] = [:]
    }

    /// Loads the module, finds the token by its label and logs in once, so that a wrong module,
    /// label or PIN is reported now rather than at the first signature.
    public static func open(_ configuration: PKCS11Configuration) async throws(PKCS11Error) -> PKCS11Token {
        try configuration.validate()
        let token = PKCS11Token(configuration: configuration, module: try PKCS11Module.shared(path: configuration.modulePath))
        do {
            try await token.run { _, _ throws(PKCS11CallError) in }
        } catch {
            try? await token.pool.shutdownGracefully()
            throw error
        }
        return token
    }

    private init(configuration: PKCS11Configuration, module: PKCS11Module) {
        self.configuration = configuration
        self.module = module
        self.pool = NIOThreadPool(numberOfThreads: configuration.sessions)
        pool.start()
    }

    /// Closes the token's sessions and stops its threads.
    public func close() async {
        let sessions = state.withLock { connection in
            defer { connection = Connection(generation: connection.generation + 1) }
            return connection.idleSessions
        }
        _ = try? await pool.runIfActive { [module] in sessions.forEach(module.closeSession) }
        try? await pool.shutdownGracefully()
    }

    // MARK: Keys

    /// Generates a key pair for `algorithm` inside the token and returns its handle. The private
    /// half is `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`: no call can read it out. The `kid`
    /// defaults to the RFC 7638 thumbprint of the public key, as for software keys; both objects
    /// get `CKA_ID` = SHA-256(issuer ‖ 0x00 ‖ kid).
    public func generateKey(algorithm: JWSAlgorithm, issuer: String, keyID: String? = nil) async throws(PKCS11Error) -> SigningKeyHandle {
        let spec = PKCS11KeySpec.generation(algorithm)
        let provisionalID = PKCS11KeySpec.objectID(issuer: issuer, keyID: keyID ?? "pending-\(UInt64.random(in: .min ... .max))")
        let label = Array("keybound \(issuer)".utf8.prefix(64))
        var publicTemplate = spec.publicTemplate
        publicTemplate.add(CK_ATTRIBUTE_TYPE(CKA_TOKEN), true)
        publicTemplate.add(CK_ATTRIBUTE_TYPE(CKA_VERIFY), true)
        publicTemplate.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: provisionalID)
        publicTemplate.add(CK_ATTRIBUTE_TYPE(CKA_LABEL), bytes: label)
        var privateTemplate = PKCS11Template()
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_TOKEN), true)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_PRIVATE), true)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_SENSITIVE), true)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_EXTRACTABLE), false)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_SIGN), true)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: provisionalID)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_LABEL), bytes: label)
        let (publicTemplateDone, privateTemplateDone) = (publicTemplate, privateTemplate)

        let generated = try await run { module, session throws(PKCS11CallError) in
            let (publicObject, privateObject) = try module.generateKeyPair(session, mechanism: spec.mechanism,
                                                                           publicTemplate: publicTemplateDone, privateTemplate: privateTemplateDone)
            return GeneratedPair(publicObject: publicObject, privateObject: privateObject,
                                 members: Result { () throws(PKCS11Error) in
                                     try PKCS11KeySpec.publicMembers(algorithm) { type throws(PKCS11CallError) in try module.attribute(session, publicObject, type) }
                                 })
        }
        let handle: SigningKeyHandle
        do {
            let jwk = try JWK(jsonObject: try generated.members.get())
            handle = try SigningKeyHandle(publicKey: jwk.publicKey, keyID: keyID, algorithm: algorithm, issuer: issuer)
        } catch {
            try? await destroy(objects: [generated.privateObject, generated.publicObject])
            throw PKCS11Error(.failed, "the token generated a \(algorithm.rawValue) key Keybound cannot use: \(error)")
        }
        let objectID = PKCS11KeySpec.objectID(issuer: issuer, keyID: handle.keyID)
        if keyID == nil {
            var identifier = PKCS11Template()
            identifier.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: objectID)
            let identifierDone = identifier
            try await run { module, session throws(PKCS11CallError) in
                try module.setAttributes(session, generated.privateObject, identifierDone)
                try module.setAttributes(session, generated.publicObject, identifierDone)
            }
        }
        state.withLock { $0.privateKeys[objectID] = generated.privateObject }
        return handle
    }

    private struct GeneratedPair: Sendable {
        let publicObject: CK_OBJECT_HANDLE
        let privateObject: CK_OBJECT_HANDLE
        let members: Result<JSONObject, PKCS11Error>
    }

    /// The handle of the issuer's key `keyID`, read from the token's public key object: what every
    /// node finds for the same (issuer, kid).
    ///
    /// Throws ``PKCS11ErrorCode/keyNotFound`` when the token holds no such key.
    public func key(issuer: String, keyID: String, algorithm: JWSAlgorithm) async throws(PKCS11Error) -> SigningKeyHandle {
        let objectID = PKCS11KeySpec.objectID(issuer: issuer, keyID: keyID)
        let members = try await run { module, session throws(PKCS11CallError) -> Result<JSONObject, PKCS11Error>? in
            guard let object = try Self.find(module, session, class: CKO_PUBLIC_KEY, objectID: objectID) else { return nil }
            return Result { () throws(PKCS11Error) in
                try PKCS11KeySpec.publicMembers(algorithm) { type throws(PKCS11CallError) in try module.attribute(session, object, type) }
            }
        }
        guard let members else { throw PKCS11Error(.keyNotFound, "the token holds no public key '\(keyID)' of issuer '\(issuer)'") }
        do {
            let jwk = try JWK(jsonObject: try members.get())
            return try SigningKeyHandle(publicKey: jwk.publicKey, keyID: keyID, algorithm: algorithm, issuer: issuer)
        } catch let error as PKCS11Error {
            throw error
        } catch {
            throw PKCS11Error(.unsupported, "the token's key '\(keyID)' of issuer '\(issuer)' is not a \(algorithm.rawValue) key: \(error)")
        }
    }

    /// Signs `signingInput` with the private key `key` names: the raw JWS signature.
    public func sign(_ signingInput: [UInt8], with key: SigningKeyHandle) async throws(PKCS11Error) -> [UInt8] {
        let objectID = PKCS11KeySpec.objectID(issuer: key.issuer, keyID: key.keyID)
        let signing = PKCS11KeySpec.signing(key.algorithm, signingInput)
        let cached = state.withLock { $0.privateKeys[objectID] }
        let signature = try await run { module, session throws(PKCS11CallError) -> [UInt8]? in
            if let cached {
                do throws(PKCS11CallError) {
                    return try module.sign(session, key: cached, mechanism: signing.mechanism, parameter: signing.parameter, data: signing.data)
                } catch where error.isStaleHandle {
                    // Destroyed or replaced by another node: look it up again.
                }
            }
            guard let object = try Self.find(module, session, class: CKO_PRIVATE_KEY, objectID: objectID) else { return nil }
            self.state.withLock { $0.privateKeys[objectID] = object }
            return try module.sign(session, key: object, mechanism: signing.mechanism, parameter: signing.parameter, data: signing.data)
        }
        guard let signature else {
            state.withLock { _ = $0.privateKeys.removeValue(forKey: objectID) }
            throw PKCS11Error(.keyNotFound, "the token holds no private key '\(key.keyID)' of issuer '\(key.issuer)'")
        }
        return signature
    }

    /// Destroys the private half of the issuer's key `keyID` (`C_DestroyObject`), so that it can
    /// never sign again, on any node. The public half stays. A key already gone is not an error.
    /// Returns whether an object was destroyed.
    @discardableResult
    public func destroyPrivateKey(issuer: String, keyID: String) async throws(PKCS11Error) -> Bool {
        let objectID = PKCS11KeySpec.objectID(issuer: issuer, keyID: keyID)
        state.withLock { _ = $0.privateKeys.removeValue(forKey: objectID) }
        return try await run { module, session throws(PKCS11CallError) in
            let objects = try module.findObjects(session, Self.template(class: CKO_PRIVATE_KEY, objectID: objectID))
            for object in objects { try module.destroyObject(session, object) }
            return !objects.isEmpty
        }
    }

    /// What the token answers when asked for the private value of the issuer's key `keyID`
    /// (`CKA_VALUE` for EC and Ed25519, `CKA_PRIVATE_EXPONENT` for RSA): the name of the `CKR_`
    /// value, which is `CKR_ATTRIBUTE_SENSITIVE` for a key generated here. For tests and audits.
    public func privateValueReadResult(issuer: String, keyID: String, algorithm: JWSAlgorithm) async throws(PKCS11Error) -> String {
        let objectID = PKCS11KeySpec.objectID(issuer: issuer, keyID: keyID)
        let attribute = CK_ATTRIBUTE_TYPE(algorithm == .rs256 || algorithm == .ps256 ? CKA_PRIVATE_EXPONENT : CKA_VALUE)
        let value = try await run { module, session throws(PKCS11CallError) -> CK_RV? in
            guard let object = try Self.find(module, session, class: CKO_PRIVATE_KEY, objectID: objectID) else { return nil }
            return module.attributeReadResult(session, object, attribute)
        }
        guard let value else { throw PKCS11Error(.keyNotFound, "the token holds no private key '\(keyID)' of issuer '\(issuer)'") }
        return PKCS11ReturnValue.name(of: value)
    }

    private func destroy(objects: [CK_OBJECT_HANDLE]) async throws(PKCS11Error) {
        try await run { module, session throws(PKCS11CallError) in
            for object in objects { try module.destroyObject(session, object) }
        }
    }

    private static func template(class objectClass: some BinaryInteger, objectID: [UInt8]) -> PKCS11Template {
        var template = PKCS11Template()
        template.add(CK_ATTRIBUTE_TYPE(CKA_CLASS), ulong: CK_ULONG(objectClass))
        template.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: objectID)
        return template
    }

    private static func find(_ module: PKCS11Module, _ session: CK_SESSION_HANDLE, class objectClass: some BinaryInteger,
                             objectID: [UInt8]) throws(PKCS11CallError) -> CK_OBJECT_HANDLE? {
        try module.findObjects(session, template(class: objectClass, objectID: objectID)).first
    }

    // MARK: Sessions

    /// Runs `body` on a pool thread with a logged-in session. When the token has gone away it
    /// drops every session, reconnects once and tries again; if that fails too, it throws
    /// ``PKCS11ErrorCode/unavailable``.
    private func run<T: Sendable>(_ body: @escaping @Sendable (PKCS11Module, CK_SESSION_HANDLE) throws(PKCS11CallError) -> T) async throws(PKCS11Error) -> T {
        let outcome: Result<T, PKCS11Error>
        do {
            outcome = try await pool.runIfActive { self.runOnPoolThread(body) }
        } catch {
            throw PKCS11Error(.unavailable, "the PKCS#11 token '\(configuration.tokenLabel)' is closed")
        }
        return try outcome.get()
    }

    private func runOnPoolThread<T>(_ body: (PKCS11Module, CK_SESSION_HANDLE) throws(PKCS11CallError) -> T) -> Result<T, PKCS11Error> {
        var lastFailure: PKCS11CallError?
        for _ in 0..<2 {
            let session: CK_SESSION_HANDLE, generation: Int
            switch checkOutSession() {
            case .success(let lease): (session, generation) = lease
            case .failure(let error): return .failure(error)
            }
            do {
                let value = try body(module, session)
                checkIn(session, generation: generation)
                return .success(value)
            } catch where error.isTokenGone {
                lastFailure = error
                disconnect(generation: generation, failedSession: session)
            } catch {
                checkIn(session, generation: generation)
                return .failure(PKCS11Error(.failed, "the PKCS#11 token '\(configuration.tokenLabel)': \(error.description)"))
            }
        }
        return .failure(PKCS11Error(.unavailable, "the PKCS#11 token '\(configuration.tokenLabel)' is not available: \(lastFailure?.description ?? "no session")"))
    }

    /// An idle session, or a new one, logged in. Runs on a pool thread.
    private func checkOutSession() -> Result<(CK_SESSION_HANDLE, Int), PKCS11Error> {
        let (idle, slot, generation) = state.withLock { connection in
            (connection.idleSessions.popLast(), connection.slot, connection.generation)
        }
        if let idle { return .success((idle, generation)) }
        do throws(PKCS11Error) {
            let resolvedSlot: CK_SLOT_ID
            if let slot { resolvedSlot = slot } else { resolvedSlot = try findSlot(reconnecting: generation > 0) }
            let session: CK_SESSION_HANDLE
            do throws(PKCS11CallError) {
                session = try module.openSession(slot: resolvedSlot)
            } catch {
                state.withLock { if $0.generation == generation { $0.slot = nil } }
                throw PKCS11Error(error.isTokenGone || error.value == CK_RV(CKR_SLOT_ID_INVALID) ? .unavailable : .failed,
                                  "the PKCS#11 token '\(configuration.tokenLabel)': \(error.description)")
            }
            var pin = try configuration.readPIN()
            defer { for index in pin.indices { pin[index] = 0 } }
            do throws(PKCS11CallError) {
                try module.login(session, pin: &pin)
            } catch {
                module.closeSession(session)
                let code: PKCS11ErrorCode = error.isTokenGone ? .unavailable
                    : [CK_RV(CKR_PIN_INCORRECT), CK_RV(CKR_PIN_LOCKED), CK_RV(CKR_PIN_INVALID), CK_RV(CKR_PIN_LEN_RANGE)].contains(error.value) ? .login : .failed
                throw PKCS11Error(code, "cannot log in to the PKCS#11 token '\(configuration.tokenLabel)': \(error.description)")
            }
            state.withLock { if $0.generation == generation { $0.slot = resolvedSlot } }
            return .success((session, generation))
        } catch {
            return .failure(error)
        }
    }

    private func checkIn(_ session: CK_SESSION_HANDLE, generation: Int) {
        let keep = state.withLock { connection in
            guard connection.generation == generation else { return false }
            connection.idleSessions.append(session)
            return true
        }
        if !keep { module.closeSession(session) }
    }

    /// The token went away while `generation` was current: forget its slot, sessions and objects.
    private func disconnect(generation: Int, failedSession: CK_SESSION_HANDLE) {
        let stale = state.withLock { connection -> [CK_SESSION_HANDLE] in
            guard connection.generation == generation else { return [] }
            defer { connection = Connection(generation: generation + 1) }
            return connection.idleSessions
        }
        module.closeSession(failedSession)
        stale.forEach(module.closeSession)
    }

    /// The slot whose token carries the configured label.
    private func findSlot(reconnecting: Bool) throws(PKCS11Error) -> CK_SLOT_ID {
        let wanted = Array(configuration.tokenLabel.utf8)
        do throws(PKCS11CallError) {
            for slot in try module.slotsWithTokens() {
                if try module.tokenLabel(slot: slot) == wanted { return slot }
            }
        } catch {
            throw PKCS11Error(error.isTokenGone || reconnecting ? .unavailable : .failed,
                              "cannot list the slots of the PKCS#11 module '\(module.path)': \(error.description)")
        }
        throw PKCS11Error(reconnecting ? .unavailable : .tokenNotFound,
                          "no token labelled '\(configuration.tokenLabel)' in the PKCS#11 module '\(module.path)'")
    }
}
