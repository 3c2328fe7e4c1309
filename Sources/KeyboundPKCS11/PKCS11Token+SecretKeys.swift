import CKeyboundPKCS11
import Crypto
import Keybound

/// AES-256 secret keys inside the token, found by their label: a key-encryption key that seals the
/// store's software keys without ever leaving the token (``PKCS11KEK``).
extension PKCS11Token {
    /// The `CKA_ID` of the secret key labelled `label`: SHA-256("keybound-kek" ‖ 0x00 ‖ label).
    static func secretKeyID(label: String) -> [UInt8] {
        Array(SHA256.hash(data: Array("keybound-kek".utf8) + [0] + Array(label.utf8)))
    }

    /// Generates an AES-256 key labelled `label` inside the token: `CKA_SENSITIVE`, not
    /// `CKA_EXTRACTABLE`, for `CKM_AES_GCM` encryption and decryption only. Refuses a label the
    /// token already holds.
    public func generateSecretKey(label: String) async throws(PKCS11Error) {
        let objectID = Self.secretKeyID(label: label)
        var template = PKCS11Template()
        template.add(CK_ATTRIBUTE_TYPE(CKA_CLASS), ulong: CK_ULONG(CKO_SECRET_KEY))
        template.add(CK_ATTRIBUTE_TYPE(CKA_KEY_TYPE), ulong: CK_ULONG(CKK_AES))
        template.add(CK_ATTRIBUTE_TYPE(CKA_VALUE_LEN), ulong: 32)
        for (attribute, value) in [(CKA_TOKEN, true), (CKA_PRIVATE, true), (CKA_SENSITIVE, true), (CKA_EXTRACTABLE, false),
                                   (CKA_ENCRYPT, true), (CKA_DECRYPT, true), (CKA_WRAP, false), (CKA_UNWRAP, false),
                                   (CKA_SIGN, false), (CKA_VERIFY, false), (CKA_DERIVE, false)] {
            template.add(CK_ATTRIBUTE_TYPE(attribute), value)
        }
        template.add(CK_ATTRIBUTE_TYPE(CKA_ALLOWED_MECHANISMS), mechanisms: [CK_MECHANISM_TYPE(CKM_AES_GCM)])
        template.add(CK_ATTRIBUTE_TYPE(CKA_ID), bytes: objectID)
        template.add(CK_ATTRIBUTE_TYPE(CKA_LABEL), bytes: Array(label.utf8))
        let finished = template
        let created = try await run(retrying: false) { module, session, _ throws(PKCS11CallError) -> Bool in
            guard try module.findObjects(session, Self.template(class: CKO_SECRET_KEY, objectID: objectID)).isEmpty else { return false }
            _ = try PKCS11CallError.retryingRefusedGeneration { () throws(PKCS11CallError) in
                try module.generateKey(session, mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_GEN), template: finished)
            }
            return true
        }
        guard created else { throw PKCS11Error(.configuration, "the token already holds a key-encryption key labelled '\(label)'") }
    }

    /// AES-256-GCM with the secret key labelled `label` (``PKCS11Module/aesGCM``), output in locked memory.
    func aesGCM(label: String, encrypting: Bool, nonce: [UInt8], associatedData: [UInt8], input: LockedBytes) async throws(PKCS11Error) -> LockedBytes {
        let objectID = Self.secretKeyID(label: label)
        let lookup = try await run { module, session, _ throws(PKCS11CallError) -> Lookup<LockedBytes> in
            try Self.find(module, session, class: CKO_SECRET_KEY, objectID: objectID).map { key throws(PKCS11CallError) in
                try input.withUnsafeBytes { bytes throws(PKCS11CallError) in
                    try module.aesGCM(session, key: key, encrypting: encrypting, nonce: nonce, associatedData: associatedData, input: bytes)
                }
            }
        }
        return try lookup.get(what: "key-encryption key '\(label)'")
    }

    /// The flags of the secret key labelled `label` that say whether it can leave the token, and
    /// what `C_GetAttributeValue` of its `CKA_VALUE` answers (`CKR_ATTRIBUTE_SENSITIVE`). For tests and audits.
    public func secretKeyExportability(label: String) async throws(PKCS11Error) -> (flags: [String: Bool], valueReadResult: String) {
        let objectID = Self.secretKeyID(label: label)
        let names: [(String, CK_ATTRIBUTE_TYPE)] = [("CKA_SENSITIVE", CK_ATTRIBUTE_TYPE(CKA_SENSITIVE)), ("CKA_EXTRACTABLE", CK_ATTRIBUTE_TYPE(CKA_EXTRACTABLE)),
                                                    ("CKA_WRAP", CK_ATTRIBUTE_TYPE(CKA_WRAP)), ("CKA_UNWRAP", CK_ATTRIBUTE_TYPE(CKA_UNWRAP))]
        let lookup = try await run { module, session, _ throws(PKCS11CallError) -> Lookup<([String: Bool], CK_RV)> in
            try Self.find(module, session, class: CKO_SECRET_KEY, objectID: objectID).map { key throws(PKCS11CallError) in
                var flags: [String: Bool] = [:]
                for (name, type) in names { flags[name] = try module.attribute(session, key, type).first.map { $0 != 0 } }
                return (flags, module.attributeReadResult(session, key, CK_ATTRIBUTE_TYPE(CKA_VALUE)))
            }
        }
        let (flags, value) = try lookup.get(what: "key-encryption key '\(label)'")
        return (flags, PKCS11ReturnValue.name(of: value))
    }
}
