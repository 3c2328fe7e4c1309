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
    let module: PKCS11Module
    let pool: NIOThreadPool
    let state = Mutex(Connection())

    /// What is known of the token while it stays connected; emptied when it goes away.
    struct Connection {
        var slot: CK_SLOT_ID?
        var idleSessions: [CK_SESSION_HANDLE] = []
        /// Bumped on each disconnection: a session, or a cached handle, of an older generation is
        /// never used again.
        var generation = 0
        /// Private key objects by `CKA_ID`, found in this generation.
        var privateKeys: [[UInt8]: CK_OBJECT_HANDLE] = [:]
        /// After the token refused the PIN, no login is tried before this instant: a real HSM
        /// locks the PIN after a few failures. Kept across disconnections.
        var loginRefusedUntil: ContinuousClock.Instant?
    }

    /// Loads the module, finds the token by its label and logs in once, so that a wrong module,
    /// label or PIN is reported now rather than at the first signature.
    public static func open(_ configuration: PKCS11Configuration) async throws(PKCS11Error) -> PKCS11Token {
        try configuration.validate()
        let token = PKCS11Token(configuration: configuration, module: try PKCS11Module.shared(path: configuration.modulePath))
        do {
            try await token.run { _, _, _ throws(PKCS11CallError) in }
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
            defer { connection = Connection(generation: connection.generation + 1, loginRefusedUntil: connection.loginRefusedUntil) }
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
        // It verifies and does nothing else: no encryption, wrapping, recovery or derivation.
        for attribute in [CKA_ENCRYPT, CKA_WRAP, CKA_VERIFY_RECOVER, CKA_DERIVE] { publicTemplate.add(CK_ATTRIBUTE_TYPE(attribute), false) }
        publicTemplate.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: provisionalID)
        publicTemplate.add(CK_ATTRIBUTE_TYPE(CKA_LABEL), bytes: label)
        var privateTemplate = PKCS11Template()
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_TOKEN), true)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_PRIVATE), true)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_SENSITIVE), true)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_EXTRACTABLE), false)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_SIGN), true)
        // It signs, with its one mechanism, and does nothing else: an RSA key that could also
        // decrypt or sign-recover would be a raw RSA oracle.
        for attribute in [CKA_DECRYPT, CKA_UNWRAP, CKA_SIGN_RECOVER, CKA_DERIVE] { privateTemplate.add(CK_ATTRIBUTE_TYPE(attribute), false) }
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_ALLOWED_MECHANISMS), mechanisms: [PKCS11KeySpec.mechanism(algorithm)])
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: provisionalID)
        privateTemplate.add(CK_ATTRIBUTE_TYPE(CKA_LABEL), bytes: label)
        let (publicTemplateDone, privateTemplateDone) = (publicTemplate, privateTemplate)

        // Not reconnected and retried after the token went away; see retryingRefusedGeneration.
        let generated = try await run(retrying: false) { module, session, _ throws(PKCS11CallError) in
            let (publicObject, privateObject) = try PKCS11CallError.retryingRefusedGeneration { () throws(PKCS11CallError) in
                try module.generateKeyPair(session, mechanism: spec.mechanism, publicTemplate: publicTemplateDone, privateTemplate: privateTemplateDone)
            }
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
            do {
                try await run(retrying: false) { module, session, _ throws(PKCS11CallError) in
                    try module.setAttributes(session, generated.privateObject, identifierDone)
                    try module.setAttributes(session, generated.publicObject, identifierDone)
                }
            } catch {
                try? await destroy(objects: [generated.privateObject, generated.publicObject])
                throw error
            }
        }
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
        let lookup = try await run { module, session, _ throws(PKCS11CallError) -> Lookup<Result<JSONObject, PKCS11Error>> in
            try Self.find(module, session, class: CKO_PUBLIC_KEY, objectID: objectID).map { object in
                Result { () throws(PKCS11Error) in
                    try PKCS11KeySpec.publicMembers(algorithm) { type throws(PKCS11CallError) in try module.attribute(session, object, type) }
                }
            }
        }
        let members = try lookup.get(what: "public key '\(keyID)' of issuer '\(issuer)'")
        do {
            let jwk = try JWK(jsonObject: try members.get())
            return try SigningKeyHandle(publicKey: jwk.publicKey, keyID: keyID, algorithm: algorithm, issuer: issuer)
        } catch let error as PKCS11Error {
            throw error
        } catch {
            throw PKCS11Error(.unsupported, "the token's key '\(keyID)' of issuer '\(issuer)' is not a \(algorithm.rawValue) key: \(error)")
        }
    }

    /// Signs `signingInput` with the private key `key` names: the raw JWS signature, checked
    /// against the key's public half before it is returned, so that an object handle the module
    /// reused for another object can never put another key's signature on a token.
    public func sign(_ signingInput: [UInt8], with key: SigningKeyHandle) async throws(PKCS11Error) -> [UInt8] {
        let objectID = PKCS11KeySpec.objectID(issuer: key.issuer, keyID: key.keyID)
        let signing = PKCS11KeySpec.signing(key.algorithm, signingInput)
        let lookup = try await run { module, session, generation throws(PKCS11CallError) -> Lookup<[UInt8]> in
            // A cached handle is used only in the connection it was found in.
            if let cached = self.state.withLock({ $0.generation == generation ? $0.privateKeys[objectID] : nil }) {
                do throws(PKCS11CallError) {
                    return .found(try module.sign(session, key: cached, mechanism: signing.mechanism, parameter: signing.parameter, data: signing.data))
                } catch where error.isStaleHandle {
                    // Destroyed by another node, or the token was replaced: look it up again.
                    self.state.withLock { _ = $0.privateKeys.removeValue(forKey: objectID) }
                }
            }
            return try Self.find(module, session, class: CKO_PRIVATE_KEY, objectID: objectID).map { object throws(PKCS11CallError) in
                self.state.withLock { if $0.generation == generation { $0.privateKeys[objectID] = object } }
                return try module.sign(session, key: object, mechanism: signing.mechanism, parameter: signing.parameter, data: signing.data)
            }
        }
        let signature = try lookup.get(what: "private key '\(key.keyID)' of issuer '\(key.issuer)'")
        guard key.publicJWK.publicKey.isValidSignature(signature, for: signingInput, algorithm: key.algorithm) else {
            state.withLock { _ = $0.privateKeys.removeValue(forKey: objectID) }
            throw PKCS11Error(.failed, "the token's signature for key '\(key.keyID)' of issuer '\(key.issuer)' does not verify under its public key; it was not used")
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
        return try await run { module, session, _ throws(PKCS11CallError) in
            var destroyed = false
            for object in try module.findObjects(session, Self.template(class: CKO_PRIVATE_KEY, objectID: objectID)) {
                do throws(PKCS11CallError) {
                    try module.destroyObject(session, object)
                    destroyed = true
                } catch where error.isStaleHandle {
                    // Another node destroyed it between the search and here.
                }
            }
            return destroyed
        }
    }

    /// What the token answers when asked for the private value of the issuer's key `keyID`
    /// (`CKA_VALUE` for EC and Ed25519, `CKA_PRIVATE_EXPONENT` for RSA): the name of the `CKR_`
    /// value, which is `CKR_ATTRIBUTE_SENSITIVE` for a key generated here. For tests and audits.
    public func privateValueReadResult(issuer: String, keyID: String, algorithm: JWSAlgorithm) async throws(PKCS11Error) -> String {
        let objectID = PKCS11KeySpec.objectID(issuer: issuer, keyID: keyID)
        let attribute = CK_ATTRIBUTE_TYPE(algorithm == .rs256 || algorithm == .ps256 ? CKA_PRIVATE_EXPONENT : CKA_VALUE)
        let lookup = try await run { module, session, _ throws(PKCS11CallError) -> Lookup<CK_RV> in
            try Self.find(module, session, class: CKO_PRIVATE_KEY, objectID: objectID).map { module.attributeReadResult(session, $0, attribute) }
        }
        return PKCS11ReturnValue.name(of: try lookup.get(what: "private key '\(keyID)' of issuer '\(issuer)'"))
    }

    /// The boolean attributes of the issuer's private key `keyID` that say what it may do and
    /// whether it can leave the token, by name (`CKA_SENSITIVE`, `CKA_EXTRACTABLE`, …). For tests and audits.
    public func privateKeyFlags(issuer: String, keyID: String) async throws(PKCS11Error) -> [String: Bool] {
        let objectID = PKCS11KeySpec.objectID(issuer: issuer, keyID: keyID)
        let names: [(String, CK_ATTRIBUTE_TYPE)] = [
            ("CKA_TOKEN", CK_ATTRIBUTE_TYPE(CKA_TOKEN)), ("CKA_PRIVATE", CK_ATTRIBUTE_TYPE(CKA_PRIVATE)),
            ("CKA_SENSITIVE", CK_ATTRIBUTE_TYPE(CKA_SENSITIVE)), ("CKA_ALWAYS_SENSITIVE", CK_ATTRIBUTE_TYPE(CKA_ALWAYS_SENSITIVE)),
            ("CKA_EXTRACTABLE", CK_ATTRIBUTE_TYPE(CKA_EXTRACTABLE)), ("CKA_NEVER_EXTRACTABLE", CK_ATTRIBUTE_TYPE(CKA_NEVER_EXTRACTABLE)),
            ("CKA_SIGN", CK_ATTRIBUTE_TYPE(CKA_SIGN)), ("CKA_DECRYPT", CK_ATTRIBUTE_TYPE(CKA_DECRYPT)),
            ("CKA_UNWRAP", CK_ATTRIBUTE_TYPE(CKA_UNWRAP)), ("CKA_SIGN_RECOVER", CK_ATTRIBUTE_TYPE(CKA_SIGN_RECOVER)),
            ("CKA_DERIVE", CK_ATTRIBUTE_TYPE(CKA_DERIVE)),
        ]
        let lookup = try await run { module, session, _ throws(PKCS11CallError) -> Lookup<[String: Bool]> in
            try Self.find(module, session, class: CKO_PRIVATE_KEY, objectID: objectID).map { object throws(PKCS11CallError) in
                var flags: [String: Bool] = [:]
                for (name, type) in names { flags[name] = try module.attribute(session, object, type).first.map { $0 != 0 } }
                return flags
            }
        }
        return try lookup.get(what: "private key '\(keyID)' of issuer '\(issuer)'")
    }

    private func destroy(objects: [CK_OBJECT_HANDLE]) async throws(PKCS11Error) {
        try await run(retrying: false) { module, session, _ throws(PKCS11CallError) in
            for object in objects { try module.destroyObject(session, object) }
        }
    }

    static func template(class objectClass: some BinaryInteger, objectID: [UInt8]) -> PKCS11Template {
        var template = PKCS11Template()
        template.add(CK_ATTRIBUTE_TYPE(CKA_CLASS), ulong: CK_ULONG(objectClass))
        template.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: objectID)
        return template
    }

    /// The one object of `objectClass` with `objectID`; two are refused rather than guessed between.
    static func find(_ module: PKCS11Module, _ session: CK_SESSION_HANDLE, class objectClass: some BinaryInteger,
                             objectID: [UInt8]) throws(PKCS11CallError) -> Lookup<CK_OBJECT_HANDLE> {
        let objects = try module.findObjects(session, template(class: objectClass, objectID: objectID))
        switch objects.count {
        case 0: return .missing
        case 1: return .found(objects[0])
        default: return .ambiguous(objects.count)
        }
    }
}
