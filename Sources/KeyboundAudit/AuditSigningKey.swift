import Crypto
import Foundation
import Keybound

/// The public half of an audit signing key (Ed25519), as recorded in the log's database.
public struct AuditPublicKey: Sendable, Equatable, CustomStringConvertible {
    /// The algorithm; always `Ed25519`.
    public static let algorithm = "Ed25519"
    /// The 32-byte public key.
    public let rawRepresentation: [UInt8]
    /// The RFC 7638 thumbprint of the key's JWK (`{"crv":"Ed25519","kty":"OKP","x":…}`): pin it to trust a log.
    public let keyID: String

    /// A public key from its 32 raw bytes.
    public init(rawRepresentation: [UInt8]) throws(AuditError) {
        guard rawRepresentation.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)) != nil else {
            throw AuditError(.signingKey, "an audit public key is 32 bytes of Ed25519")
        }
        self.rawRepresentation = rawRepresentation
        let thumbprintInput = #"{"crv":"Ed25519","kty":"OKP","x":""# + Base64URL.encode(rawRepresentation) + #""}"#
        self.keyID = Base64URL.encode(SHA256.hash(data: Array(thumbprintInput.utf8)))
    }

    /// Whether `signature` is this key's signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// `Ed25519 audit key <kid>`.
    public var description: String { "Ed25519 audit key \(keyID)" }
}

/// The dedicated key that signs an audit log's checkpoints and prune records.
///
/// It lives in `audit-signing-key.json` in the data directory (a private JWK, mode 0600, created
/// with `O_EXCL` and never overwritten); its public key is also recorded in the database. Its
/// description, errors and reflection never show the private key.
public struct AuditSigningKey: Sendable, CustomStringConvertible, CustomReflectable {
    /// The key file's name inside a data directory.
    public static let fileName = "audit-signing-key.json"

    /// The 32-byte Ed25519 seed, in locked memory left out of core dumps and zeroed on release.
    /// A swift-crypto key is built from it for each checkpoint signature and released at once.
    private let seed: LockedBytes
    /// The public key.
    public let publicKey: AuditPublicKey

    /// A fresh random key.
    public static func generate() -> AuditSigningKey {
        AuditSigningKey(privateKey: Curve25519.Signing.PrivateKey())
    }

    private init(privateKey: Curve25519.Signing.PrivateKey) {
        var raw = privateKey.rawRepresentation
        defer { raw.withUnsafeMutableBytes { LockedBytes.wipe($0) } }
        self.seed = raw.withUnsafeBytes { LockedBytes(copying: $0) }
        self.publicKey = try! AuditPublicKey(rawRepresentation: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Whether the kernel locked the key's memory into RAM (`mlock`).
    package var isMemoryLocked: Bool { seed.isLocked }

    /// The key from its 32 private bytes (a key unsealed from the key store).
    package init(privateKeyBytes: [UInt8]) throws(AuditError) {
        guard privateKeyBytes.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: privateKeyBytes) else {
            throw AuditError(.signingKey, "an audit signing key is 32 bytes of Ed25519")
        }
        self.init(privateKey: key)
    }

    /// The 32 private bytes, to be sealed under the KEK (`keybound migrate` moving a key file
    /// into the key store); never logged, never printed.
    package var privateKeyBytes: [UInt8] { seed.withUnsafeBytes { Array($0) } }

    /// 32 fresh random private bytes, for a key to be sealed before it is ever used.
    package static func generatePrivateKeyBytes() -> [UInt8] {
        Array(Curve25519.Signing.PrivateKey().rawRepresentation)
    }

    /// The key file in `directory`.
    public static func file(in directory: URL) -> URL { directory.appendingPathComponent(fileName) }

    /// Reads the key file at `url`. Refuses a file readable or writable by anyone but its owner.
    public static func load(from url: URL) throws(AuditError) -> AuditSigningKey {
        // Read and parsed on a secret worker: the file's text and the decoded seed stay off the
        // threads whose memory a dump keeps.
        try SecretWorkers.shared.runBlocking { () throws(AuditError) -> AuditSigningKey in
            try Self.parse(file: url)
        }
    }

    /// The key in the private JWK file at `url`, which only its owner may read or write.
    private static func parse(file url: URL) throws(AuditError) -> AuditSigningKey {
        var data: [UInt8]
        do {
            data = try BoundedFileReader.ownerOnlyContents(ofFile: url.path, limit: 4_096)
        } catch {
            switch error {
            case .missing(let reason), .unreadable(let reason):
                throw AuditError(.signingKey, "cannot read the audit signing key file '\(url.path)': \(reason)")
            case .readableByOthers(let mode):
                throw AuditError(.signingKey, "the audit signing key file '\(url.path)' has mode \(String(mode, radix: 8)); it must be 0600")
            case .notRegularFile, .tooLarge:
                throw AuditError(.signingKey, "the audit signing key file '\(url.path)' is not a small regular file")
            }
        }
        // Errors below never quote the file: it holds the private key.
        guard let object = try? StrictJSONParser.parseObject(data),
              object["kty"]?.stringValue == "OKP", object["crv"]?.stringValue == "Ed25519",
              let d = object["d"]?.stringValue.flatMap(Base64URL.decode), d.count == 32,
              let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: d) else {
            throw AuditError(.signingKey, "the audit signing key file '\(url.path)' is not an Ed25519 private JWK")
        }
        data.withUnsafeMutableBytes { LockedBytes.wipe($0) }
        let key = AuditSigningKey(privateKey: privateKey)
        if let x = object["x"]?.stringValue, Base64URL.decode(x) != key.publicKey.rawRepresentation {
            throw AuditError(.signingKey, "the audit signing key file '\(url.path)' is inconsistent (its public key does not match its private key)")
        }
        return key
    }

    /// Writes the key to `url` as a private JWK, mode 0600; fails if the file exists. The text is
    /// made on a secret worker.
    public func write(to url: URL) throws(AuditError) {
        let seed = self.seed, publicKey = self.publicKey
        try SecretWorkers.shared.runBlocking { () throws(AuditError) in
            try Self.write(seed: seed, publicKey: publicKey, to: url)
        }
    }

    private static func write(seed: LockedBytes, publicKey: AuditPublicKey, to url: URL) throws(AuditError) {
        let object = JSONObject([
            "kty": .string("OKP"), "crv": .string("Ed25519"), "use": .string("audit"), "kid": .string(publicKey.keyID),
            "x": .string(Base64URL.encode(publicKey.rawRepresentation)),
            "d": .string(seed.withUnsafeBytes { Base64URL.encode($0) }),
        ])
        var contents = JSONWriter(prettyPrinted: true).bytes(.object(object)) + [UInt8(ascii: "\n")]
        defer { contents.withUnsafeMutableBytes { LockedBytes.wipe($0) } }
        do throws(OwnerOnlyFile.Failure) {
            try OwnerOnlyFile.create(contents, atPath: url.path)
        } catch {
            switch error {
            case .cannotCreate(let reason):
                throw AuditError(.signingKey, "cannot create '\(url.path)': \(reason); an existing key file is never overwritten")
            case .cannotWrite(let reason):
                throw AuditError(.signingKey, "cannot write '\(url.path)': \(reason)")
            }
        }
    }

    /// The signature of `message`, made on a secret worker (the key is rebuilt from the locked
    /// seed there, and released at once).
    func sign(_ message: [UInt8]) throws(AuditError) -> [UInt8] {
        let seed = self.seed
        return try SecretWorkers.shared.runBlocking { () throws(AuditError) -> [UInt8] in
            do {
                let privateKey = try seed.withUnsafeBytes { try Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
                return Array(try privateKey.signature(for: message))
            } catch {
                throw AuditError(.signingKey, "the audit signing key could not sign")
            }
        }
    }

    /// `audit signing key <kid>`; never the private key.
    public var description: String { "audit signing key \(publicKey.keyID)" }

    /// Only the public key id, so `dump` and debuggers never show the private key.
    public var customMirror: Mirror { Mirror(self, children: ["keyID": publicKey.keyID]) }
}
