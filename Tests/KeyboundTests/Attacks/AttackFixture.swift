import Foundation
import Testing
@testable import Keybound

/// Keys generated once per test process (RSA generation is slow), one per algorithm.
///
/// The trusted ones belong to ``AttackFixture/issuer``; the attacker's belong to nobody we trust.
enum AttackKeys {
    static let es256 = make(.es256, AttackFixture.issuer, "attack-es256")
    static let es384 = make(.es384, AttackFixture.issuer, "attack-es384")
    static let edDSA = make(.edDSA, AttackFixture.issuer, "attack-eddsa")
    static let rs256 = make(.rs256, AttackFixture.issuer, "attack-rs256")
    static let ps256 = make(.ps256, AttackFixture.issuer, "attack-ps256")

    /// Keys the attacker holds: valid keys, but trusted by no one.
    static let attackerES256 = make(.es256, AttackFixture.attackerIssuer, "attacker-es256")
    static let attackerRS256 = make(.rs256, AttackFixture.attackerIssuer, "attacker-rs256")

    static func make(_ algorithm: JWSAlgorithm, _ issuer: String, _ keyID: String) -> SigningKey {
        do {
            return try SigningKey.generate(algorithm: algorithm, issuer: issuer, keyID: keyID)
        } catch {
            fatalError("could not generate a \(algorithm.rawValue) test key: \(error)")
        }
    }

    /// The trusted key for `algorithm`.
    static func trusted(_ algorithm: JWSAlgorithm) -> SigningKey {
        switch algorithm {
        case .es256: es256
        case .es384: es384
        case .edDSA: edDSA
        case .rs256: rs256
        case .ps256: ps256
        }
    }
}

/// Base64url and compact-serialization helpers that work on raw text, so tests can build headers
/// and payloads no well-behaved JSON writer would produce (duplicates, bad types, bad UTF-8).
enum AttackEncoding {
    static func b64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }
    static func b64(_ bytes: [UInt8]) -> String { Base64URL.encode(bytes) }

    /// `b64(header).b64(payload).b64(signature)`.
    static func token(header: String, payload: String, signature: [UInt8]) -> String {
        b64(header) + "." + b64(payload) + "." + b64(signature)
    }

    /// The segments of a compact token.
    static func segments(_ token: String) -> [String] {
        token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// The signature bytes of a compact token.
    static func signature(of token: String) -> [UInt8] {
        Base64URL.decode(segments(token)[2])!
    }

    /// The token with its signature segment replaced.
    static func replacingSignature(of token: String, with signature: [UInt8]) -> String {
        let parts = segments(token)
        return parts[0] + "." + parts[1] + "." + b64(signature)
    }

    /// The token with its signature segment replaced by raw text.
    static func replacingSignatureText(of token: String, with text: String) -> String {
        let parts = segments(token)
        return parts[0] + "." + parts[1] + "." + text
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

/// One trusted issuer with keys of every algorithm, a fixed clock, an access-token policy with
/// zero clock skew, and builders for good and malicious tokens.
///
/// Claims are built as raw JSON text from ordered (name, raw JSON value) pairs, so a test can put
/// any byte sequence in any claim.
struct AttackFixture {
    static let issuer = "https://issuer.keybound.test"
    static let attackerIssuer = "https://attacker.example"
    static let audience = "https://api.keybound.test"
    static let nowSeconds = 1_700_000_000
    static let now = Date(timeIntervalSince1970: TimeInterval(nowSeconds))

    let trust: TrustStore
    let policy: VerificationPolicy
    let verifier: TokenVerifier

    /// A fixture trusting the issuer with one key of each given algorithm.
    init(
        algorithms: [JWSAlgorithm] = [.es256],
        tokenType: ExpectedTokenType = .accessToken,
        clockSkew: TimeInterval = 0,
        maximumTokenSize: Int = VerificationPolicy.defaultMaximumTokenSize,
        maximumTokenLifetime: TimeInterval = TrustedIssuer.defaultMaximumTokenLifetime,
        now: Date = AttackFixture.now
    ) throws {
        let keySet = try JWKSet(keys: algorithms.map { AttackKeys.trusted($0).publicJWK })
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: Self.issuer, tenancy: .noTenant, maximumTokenLifetime: maximumTokenLifetime, keySet: keySet))
        try self.init(trust: trust, tokenType: tokenType, clockSkew: clockSkew, maximumTokenSize: maximumTokenSize, now: now)
    }

    /// A fixture over a trust store the test built itself.
    init(
        trust: TrustStore,
        tokenType: ExpectedTokenType = .accessToken,
        clockSkew: TimeInterval = 0,
        maximumTokenSize: Int = VerificationPolicy.defaultMaximumTokenSize,
        now: Date = AttackFixture.now
    ) throws {
        self.trust = trust
        self.policy = try VerificationPolicy(audience: Self.audience, tokenType: tokenType, clockSkew: clockSkew,
                                             maximumTokenSize: maximumTokenSize)
        self.verifier = TokenVerifier(trust: trust, policy: policy, clock: .fixed(now))
    }

    // MARK: Verifying

    func verify(_ token: String) -> VerificationResult { verifier.verify(token) }

    /// The rejection code, or `nil` if the token verified.
    func code(_ token: String) -> RejectionCode? { verifier.verify(token).rejection?.code }

    /// Records an issue unless `token` verifies.
    func expectAccepted(_ token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = verifier.verify(token)
        #expect(result.token != nil, "expected acceptance, got \(result.rejection.map(String.init(describing:)) ?? "?")",
                sourceLocation: sourceLocation)
    }

    /// Records an issue unless `token` is rejected with exactly `expected`.
    func expectRejected(_ token: String, _ expected: RejectionCode, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = verifier.verify(token)
        #expect(result.rejection?.code == expected,
                "expected \(expected), got \(result.rejection.map(String.init(describing:)) ?? "acceptance")",
                sourceLocation: sourceLocation)
    }

    // MARK: Building headers and claims

    /// `{"alg":…,"kid":…,"typ":"at+jwt"}` followed by `extra` members (raw text starting with a comma).
    static func header(_ key: SigningKey, alg: String? = nil, kid: String? = nil, typ: String? = "at+jwt", extra: String = "") -> String {
        var text = "{\"alg\":\"\(alg ?? key.algorithm.rawValue)\",\"kid\":\"\(kid ?? key.keyID)\""
        if let typ { text += ",\"typ\":\"\(typ)\"" }
        return text + extra + "}"
    }

    /// The default access-token claims as (name, raw JSON value) pairs.
    static func defaultClaims(issuer: String = AttackFixture.issuer, now: Int = AttackFixture.nowSeconds) -> [(String, String)] {
        [
            ("iss", quoted(issuer)),
            ("sub", quoted("alice")),
            ("aud", quoted(audience)),
            ("exp", String(now + 600)),
            ("iat", String(now - 60)),
            ("jti", quoted("jti-\(UUID().uuidString)")),
            ("client_id", quoted("client-1")),
        ]
    }

    /// Claims JSON text: the defaults with `overrides` replacing (or appended after) them, minus `removing`.
    static func claims(
        _ overrides: [(String, String)] = [], removing: Set<String> = [], base: [(String, String)] = defaultClaims()
    ) -> String {
        var pairs = base
        for (name, value) in overrides {
            if let index = pairs.firstIndex(where: { $0.0 == name }) { pairs[index].1 = value } else { pairs.append((name, value)) }
        }
        pairs.removeAll { removing.contains($0.0) }
        return "{" + pairs.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func quoted(_ text: String) -> String { JSONWriter().string(.string(text)) }

    // MARK: Signing

    /// Signs arbitrary header and payload *text* with `key`; the result is a compact token.
    static func sign(header: String, payload: String, with key: SigningKey) throws -> String {
        try sign(headerBytes: Array(header.utf8), payloadBytes: Array(payload.utf8), with: key)
    }

    /// Signs arbitrary header and payload *bytes* with `key`.
    static func sign(headerBytes: [UInt8], payloadBytes: [UInt8], with key: SigningKey) throws -> String {
        let signingInput = Base64URL.encode(headerBytes) + "." + Base64URL.encode(payloadBytes)
        let signature = try key.signature(for: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// Signs an already-encoded signing input (`h.p` as received) with `key`.
    static func sign(signingInput: String, with key: SigningKey) throws -> String {
        signingInput + "." + Base64URL.encode(try key.signature(for: Array(signingInput.utf8)))
    }

    /// A well-formed, correctly signed access token by the trusted key of `algorithm`.
    static func legitToken(_ algorithm: JWSAlgorithm = .es256, claims overrides: [(String, String)] = []) throws -> String {
        let key = AttackKeys.trusted(algorithm)
        return try sign(header: header(key), payload: claims(overrides), with: key)
    }
}

/// A precondition of an attack test could not be arranged.
struct AttackTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
