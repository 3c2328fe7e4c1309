import Crypto
import Foundation
import Keybound
import KeyboundTesting
import Testing
import _CryptoExtras
#if canImport(Glibc)
import Glibc
#endif

/// A secret to look for in a core dump, in every form a process could hold it.
struct DumpSecret {
    let label: String
    let forms: [(name: String, bytes: [UInt8])]

    /// A signing key: each private integer (EC scalar; RSA d, p, q, dP, dQ and qInv) and the
    /// Ed25519 seed, in both byte orders and in hex; Ed25519's 64-byte private key (seed ‖ public)
    /// and SHA-512 of the seed; the JWK's `d` in base64url; PKCS#8 DER and PEM.
    static func signingKey(_ key: SigningKey) throws -> DumpSecret {
        let jwk = key.exportPrivateJWK()
        func member(_ name: String) -> [UInt8]? { jwk[name]?.stringValue.flatMap { Base64URL.decode($0) } }
        let d = try #require(member("d"))
        var forms: [(String, [UInt8])] = [("JWK d base64url", Array(try #require(jwk["d"]?.stringValue).utf8))]
        let components: [String] = jwk["kty"]?.stringValue == "RSA" ? ["d", "p", "q", "dp", "dq", "qi"] : ["d"]
        for name in components {
            let bytes = try #require(member(name))
            forms += Self.integerForms(name, bytes)
        }
        let der: [UInt8]
        let pem: String
        switch key.algorithm {
        case .es256:
            let privateKey = try P256.Signing.PrivateKey(rawRepresentation: d)
            (der, pem) = (Array(privateKey.derRepresentation), privateKey.pemRepresentation)
        case .es384:
            let privateKey = try P384.Signing.PrivateKey(rawRepresentation: d)
            (der, pem) = (Array(privateKey.derRepresentation), privateKey.pemRepresentation)
        case .edDSA:
            let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: d)
            forms.append(("Ed25519 seed ‖ public key", d + Array(privateKey.publicKey.rawRepresentation)))
            forms.append(("SHA-512 of the seed", Array(SHA512.hash(data: d))))
            // RFC 8410 PKCS#8: SEQUENCE { 0, { id-Ed25519 }, OCTET STRING { OCTET STRING seed } }.
            der = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + d
            pem = "-----BEGIN PRIVATE KEY-----\n\(Data(der).base64EncodedString(options: .lineLength64Characters))\n-----END PRIVATE KEY-----"
        case .rs256, .ps256:
            let privateKey = try _RSA.Signing.PrivateKey(n: try #require(member("n")), e: try #require(member("e")), d: d,
                                                         p: try #require(member("p")), q: try #require(member("q")))
            (der, pem) = (Array(privateKey.pkcs8DERRepresentation), privateKey.pkcs8PEMRepresentation)
        }
        forms.append(("PKCS#8 DER", der))
        forms.append(("PEM", Array(pem.utf8)))
        return DumpSecret(label: "\(key.algorithm.rawValue) key \(key.keyID) of \(key.issuer)", forms: forms)
    }

    /// The key-encryption key: raw both ways, hex, the base64 of its file, and base64url.
    static func keyEncryptionKey(_ bytes: [UInt8]) -> DumpSecret {
        DumpSecret(label: "key-encryption key", forms: integerForms("key", bytes) + [("base64", Array(Data(bytes).base64EncodedString().utf8)),
                                                                                    ("base64url", Array(Base64URL.encode(bytes).utf8))])
    }

    /// The audit signing key (Ed25519): its seed both ways, in hex, base64 and its file's base64url,
    /// and the 64-byte private key.
    static func auditSigningKey(seed: [UInt8]) throws -> DumpSecret {
        let publicKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation
        return DumpSecret(label: "audit signing key",
                          forms: integerForms("seed", seed) + [("seed ‖ public key", seed + Array(publicKey)),
                                                               ("base64", Array(Data(seed).base64EncodedString().utf8)),
                                                               ("JWK d base64url", Array(Base64URL.encode(seed).utf8))])
    }

    /// `bytes` as stored big-endian, little-endian (a BIGNUM's words on this machine), and in hex.
    private static func integerForms(_ name: String, _ bytes: [UInt8]) -> [(String, [UInt8])] {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        return [("\(name) big-endian", bytes), ("\(name) little-endian", bytes.reversed()),
                ("\(name) hex", Array(hex.utf8)), ("\(name) HEX", Array(hex.uppercased().utf8))]
    }
}

/// Takes a process's core dump with gdb's `gcore` and looks for secrets in it.
enum CoreDumpScanner {
    /// Dumps process `pid` into `directory` (the process keeps running) and returns the file.
    static func dump(pid: pid_t, into directory: URL) async throws -> URL {
        let prefix = directory.appendingPathComponent("core")
        let outcome = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/gcore"), ["-o", prefix.path, "\(pid)"],
                                                       environment: ["PATH": "/usr/bin:/bin", "HOME": "/tmp", "DEBUGINFOD_URLS": ""])
        let file = URL(fileURLWithPath: "\(prefix.path).\(pid)")
        guard outcome.status == 0, FileManager.default.fileExists(atPath: file.path) else {
            throw DumpFailure("gcore of \(pid) failed (\(outcome.status)): \(outcome.stderr.suffix(2000))")
        }
        return file
    }

    /// For each secret, the forms found in `file` (an empty list: none).
    ///
    /// A core holds every mapping, and most of it is pages of zeros (stacks and heaps reserved but
    /// never touched): only the runs of pages that are not all zero are searched, each run
    /// extended by the longest form's length so that nothing at its end is missed.
    static func findings(in file: URL, secrets: [DumpSecret]) throws -> [(label: String, found: [String])] {
        let contents = try Data(contentsOf: file, options: .alwaysMapped)
        let longest = secrets.flatMap(\.forms).map(\.bytes.count).max() ?? 0
        return contents.withUnsafeBytes { whole in
            let regions = nonZeroRegions(whole, overlap: longest)
            return secrets.map { secret in
                (secret.label, secret.forms.filter { form in regions.contains { contains(UnsafeRawBufferPointer(rebasing: whole[$0]), form.bytes) } }.map(\.name))
            }
        }
    }

    /// The runs of 4 KiB pages of `bytes` that hold anything but zeros, each extended by `overlap`.
    static func nonZeroRegions(_ bytes: UnsafeRawBufferPointer, overlap: Int) -> [Range<Int>] {
        guard let base = bytes.baseAddress else { return [] }
        let page = 4096
        let zeros = [UInt8](repeating: 0, count: page)
        var regions: [Range<Int>] = []
        var start: Int?
        var offset = 0
        while offset < bytes.count {
            let length = min(page, bytes.count - offset)
            let isZero = zeros.withUnsafeBytes { memcmp(base + offset, $0.baseAddress!, length) == 0 }
            if !isZero, start == nil { start = offset }
            if isZero, let begun = start {
                regions.append(begun..<min(bytes.count, offset + overlap))
                start = nil
            }
            offset += length
        }
        if let begun = start { regions.append(begun..<bytes.count) }
        return regions
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard let base = haystack.baseAddress, !needle.isEmpty else { return false }
        return needle.withUnsafeBytes { memmem(base, haystack.count, $0.baseAddress!, needle.count) != nil }
    }

    private typealias MemmemFunction = @convention(c) (UnsafeRawPointer, Int, UnsafeRawPointer, Int) -> UnsafeRawPointer?
    /// glibc's `memmem` (declared only under _GNU_SOURCE, so Swift's Glibc does not show it): a
    /// fast search of a dump of hundreds of megabytes, even in a debug build.
    private static let memmem: MemmemFunction = unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "memmem"), to: MemmemFunction.self)

    struct DumpFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
