import Crypto
import Foundation
import Keybound

/// The key-encryption key (KEK) that seals every private key at rest. It lives outside the database.
///
/// Its fingerprint (an HMAC of a fixed label under the KEK) is stored beside each sealed key, so a
/// wrong KEK is recognised before anything is decrypted or changed; the fingerprint reveals nothing
/// about the KEK itself.
public struct KeyEncryptionKey: Sendable {
    /// Where the key is: in this process's locked memory, or inside a token.
    enum Holder: Sendable {
        /// The 32 bytes, in memory of their own: locked into RAM, left out of core dumps, zeroed
        /// when the last copy of this value goes.
        case memory(LockedBytes)
        /// A key that never leaves its PKCS#11 token (`KeyboundPKCS11`'s `PKCS11KEK`).
        case custodian(any SealingCustodian)
    }

    let holder: Holder
    /// A stable, non-secret identifier of this KEK.
    public let fingerprint: String

    /// Whether the kernel locked the KEK's memory into RAM (`mlock`). When it did not
    /// (`RLIMIT_MEMLOCK` too low, no `CAP_IPC_LOCK`), production mode refuses to start. Always
    /// true for a KEK in a token: none of it is in memory.
    public var isMemoryLocked: Bool {
        if case .memory(let secret) = holder { return secret.isLocked }
        return true
    }

    /// Why the lock failed, when it did.
    public var memoryLockFailure: String? {
        if case .memory(let secret) = holder { return secret.lockFailure }
        return nil
    }

    /// Whether the KEK is inside a token rather than in this process.
    public var isHeldByToken: Bool {
        if case .custodian = holder { return true }
        return false
    }

    /// A KEK held by `custodian` (a key inside a PKCS#11 token): its bytes never enter this process.
    package init(custodian: any SealingCustodian) {
        self.holder = .custodian(custodian)
        self.fingerprint = custodian.fingerprint
    }

    /// A KEK from exactly 32 bytes (copied into locked memory; the caller's array stays theirs).
    public init(bytes: [UInt8]) throws(StoreError) {
        try self.init(secret: bytes.withUnsafeBytes { LockedBytes(copying: $0) })
    }

    private init(secret: LockedBytes) throws(StoreError) {
        guard secret.count == 32 else {
            throw StoreError(.invalidKEK, "a key-encryption key is 32 bytes (base64), not \(secret.count)")
        }
        self.holder = .memory(secret)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("keybound-kek-fingerprint-v1".utf8), using: secret.withUnsafeBytes { SymmetricKey(data: $0) })
        self.fingerprint = Base64URL.encode(Array(mac).prefix(12))
    }

    /// A KEK from its base64 text (white space around it is ignored).
    public init(base64 text: String) throws(StoreError) {
        var bytes = Array(text.utf8)
        defer { bytes.withUnsafeMutableBytes { LockedBytes.wipe($0) } }
        try self.init(base64Bytes: bytes.withUnsafeBytes { $0 })
    }

    /// A KEK from base64 text held in `text` (in locked memory, when read from a file): decoded
    /// straight into locked memory, with no copy on the ordinary heap.
    init(base64Bytes text: UnsafeRawBufferPointer) throws(StoreError) {
        guard let decoded = SecretBase64.decodeLocked(text) else {
            throw StoreError(.invalidKEK, "the key-encryption key is not valid base64")
        }
        try self.init(secret: decoded)
    }

    /// A fresh random KEK.
    public static func generate() -> KeyEncryptionKey {
        try! KeyEncryptionKey(secret: SymmetricKey(size: .bits256).withUnsafeBytes { LockedBytes(copying: $0) })
    }

    /// The base64 text to store in a KEK file (development and tests: the text is an ordinary
    /// String). Empty for a KEK inside a token, whose bytes never leave it.
    public var base64Text: String {
        guard case .memory(let secret) = holder else { return "" }
        return secret.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// AES-256-GCM of `plaintext` with `associatedData` under a fresh nonce: nonce ‖ ciphertext ‖
    /// tag. In memory it runs on a ``Keybound/SecretWorkers`` thread, building swift-crypto's key
    /// from the locked bytes for this one call; in a token, the token seals.
    func seal(_ plaintext: LockedBytes, authenticating associatedData: [UInt8]) async throws(StoreError) -> [UInt8] {
        switch holder {
        case .memory(let secret):
            return try await SecretWorkers.shared.run { () throws(StoreError) -> [UInt8] in
                do {
                    let box = try plaintext.withUnsafeBytes { bytes in
                        try AES.GCM.seal(bytes, using: secret.withUnsafeBytes { SymmetricKey(data: $0) }, authenticating: associatedData)
                    }
                    guard let combined = box.combined else { throw StoreError(.storage, "sealing produced no output") }
                    return Array(combined)
                } catch let error as StoreError {
                    throw error
                } catch {
                    throw StoreError(.storage, "sealing failed")
                }
            }
        case .custodian(let custodian):
            do {
                return try await custodian.seal(plaintext, authenticating: associatedData)
            } catch {
                throw StoreError(error.isUnavailable ? .custodyUnavailable : .storage, "sealing under the key-encryption key in the token failed: \(error)")
            }
        }
    }

    /// Opens what ``seal(_:authenticating:)`` made and hands the plaintext to `body`, on a
    /// ``Keybound/SecretWorkers`` thread, then wipes it; `describe` names the value in the error
    /// when the KEK is wrong or the bytes were altered (``StoreErrorCode/wrongKEK``).
    func open<R: Sendable>(_ sealed: [UInt8], authenticating associatedData: [UInt8], describe: @escaping @Sendable () -> String,
                           _ body: @escaping @Sendable (UnsafeRawBufferPointer) throws(StoreError) -> R) async throws(StoreError) -> R {
        switch holder {
        case .memory(let secret):
            return try await SecretWorkers.shared.run { () throws(StoreError) -> R in
                var plaintext: Data
                do {
                    plaintext = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: secret.withUnsafeBytes { SymmetricKey(data: $0) },
                                                 authenticating: associatedData)
                } catch {
                    throw StoreError(.wrongKEK, "\(describe()) could not be unsealed: wrong key-encryption key or altered data")
                }
                defer { plaintext.withUnsafeMutableBytes { LockedBytes.wipe($0) } }
                let result = plaintext.withUnsafeBytes { bytes in Result { () throws(StoreError) -> R in try body(bytes) } }
                return try result.get()
            }
        case .custodian(let custodian):
            let plaintext: LockedBytes
            do {
                plaintext = try await custodian.open(sealed, authenticating: associatedData)
            } catch where error.isUnavailable {
                throw StoreError(.custodyUnavailable, "\(describe()) could not be unsealed: the token holding the key-encryption key is not available (\(error))")
            } catch {
                throw StoreError(.wrongKEK, "\(describe()) could not be unsealed: wrong key-encryption key or altered data (\(error))")
            }
            return try await SecretWorkers.shared.run { () throws(StoreError) -> R in
                try plaintext.withUnsafeBytes { bytes throws(StoreError) in try body(bytes) }
            }
        }
    }
}

/// Where the KEK comes from: `KEYBOUND_KEK_FILE`, `KEYBOUND_KEK`, or a development file beside the data.
public enum KEKSource {
    /// The development KEK file inside a data directory.
    public static func developmentFile(in dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent("keybound-dev.kek")
    }

    /// The KEK configured in `environment` (`KEYBOUND_KEK_FILE`, else `KEYBOUND_KEK`), or `nil`.
    public static func configured(environment: [String: String]) throws(StoreError) -> KeyEncryptionKey? {
        if let path = environment["KEYBOUND_KEK_FILE"], !path.isEmpty { return try read(file: URL(fileURLWithPath: path)) }
        if let text = environment["KEYBOUND_KEK"], !text.isEmpty { return try KeyEncryptionKey(base64: text) }
        return nil
    }

    /// The KEK of a store in a database (PostgreSQL): it must be configured, since a database has
    /// no data directory to keep a development KEK in, and every node must use the same one.
    public static func resolveForDatabase(environment: [String: String]) throws(StoreError) -> KeyEncryptionKey {
        guard let kek = try configured(environment: environment) else {
            throw StoreError(.missingKEK, "no key-encryption key: a store in PostgreSQL needs KEYBOUND_KEK_FILE or KEYBOUND_KEK "
                             + "(base64, 32 bytes), the same on every node")
        }
        return kek
    }

    /// Resolves the KEK. With no KEK configured and `allowDevelopmentKEK`, an existing development
    /// file is used, or (only for a store that has no sealed key yet) one is generated, 0600, with a
    /// warning through `warn`.
    ///
    /// Production (`allowDevelopmentKEK: false`) needs `KEYBOUND_KEK_FILE` or `KEYBOUND_KEK`: it
    /// never creates or reads `keybound-dev.kek`, and it refuses a KEK file inside the data
    /// directory (a copy or backup of the data would carry the key that unseals it).
    public static func resolve(
        environment: [String: String], dataDirectory: URL, storeHasSealedKeys: Bool,
        allowDevelopmentKEK: Bool = true, warn: (String) -> Void
    ) throws(StoreError) -> KeyEncryptionKey {
        if !allowDevelopmentKEK, let path = environment["KEYBOUND_KEK_FILE"], !path.isEmpty,
           isInside(URL(fileURLWithPath: path), directory: dataDirectory) {
            throw StoreError(.invalidKEK, "KEYBOUND_KEK_FILE '\(path)' is inside the data directory '\(dataDirectory.path)': "
                + "in production the key-encryption key must live apart from the data it unseals")
        }
        if let kek = try configured(environment: environment) { return kek }
        let devFile = developmentFile(in: dataDirectory)
        guard allowDevelopmentKEK else {
            throw StoreError(.missingKEK, "no key-encryption key: set KEYBOUND_KEK_FILE or KEYBOUND_KEK (base64, 32 bytes)")
        }
        if FileManager.default.fileExists(atPath: devFile.path) {
            return try read(file: devFile)
        }
        guard !storeHasSealedKeys else {
            throw StoreError(.missingKEK, "the store holds sealed keys but no key-encryption key was given: set KEYBOUND_KEK_FILE or KEYBOUND_KEK")
        }
        let kek = KeyEncryptionKey.generate()
        try SecretFile.create(Array((kek.base64Text + "\n").utf8), at: devFile)
        warn("generated a development key-encryption key at \(devFile.path); for production set KEYBOUND_KEK_FILE or KEYBOUND_KEK")
        return kek
    }

    /// Whether `file` (symbolic links resolved) is `directory` or lies under it.
    static func isInside(_ file: URL, directory: URL) -> Bool {
        let filePath = file.standardizedFileURL.resolvingSymlinksInPath().path
        let directoryPath = directory.standardizedFileURL.resolvingSymlinksInPath().path
        let prefix = directoryPath.hasSuffix("/") ? directoryPath : directoryPath + "/"
        return filePath.isExactly(directoryPath) || filePath.utf8.starts(with: prefix.utf8)
    }

    /// Reads a KEK file holding base64 text, straight into locked memory: neither the text nor
    /// the key passes through the ordinary heap.
    public static func read(file: URL) throws(StoreError) -> KeyEncryptionKey {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StoreError(.missingKEK, "cannot read the key-encryption key file '\(file.path)'") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size <= 4096 else {
            throw StoreError(.invalidKEK, "the key-encryption key file '\(file.path)' is not a small file of base64 text")
        }
        let text = LockedBytes(count: Int(info.st_size))
        let complete = text.withUnsafeMutableBytes { buffer -> Bool in
            var filled = 0
            while filled < buffer.count {
                let got = Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
                if got <= 0 { return false }
                filled += got
            }
            return true
        }
        guard complete else { throw StoreError(.missingKEK, "cannot read the key-encryption key file '\(file.path)'") }
        return try text.withUnsafeBytes { bytes throws(StoreError) in try KeyEncryptionKey(base64Bytes: bytes) }
    }
}

/// Files holding secrets: created owner-only (0600) from the first byte, never overwritten.
public enum SecretFile {
    /// Creates `url` with `contents`, mode 0600, flushed to disk; fails if it exists (see
    /// `OwnerOnlyFile` in the core).
    public static func create(_ contents: [UInt8], at url: URL) throws(StoreError) {
        do throws(OwnerOnlyFile.Failure) {
            try OwnerOnlyFile.create(contents, atPath: url.path)
        } catch {
            switch error {
            case .cannotCreate(let reason):
                throw StoreError(.storage, "cannot create '\(url.path)': \(reason); an existing secret file is never overwritten")
            case .cannotWrite(let reason):
                throw StoreError(.storage, "cannot write '\(url.path)': \(reason)")
            }
        }
    }
}
