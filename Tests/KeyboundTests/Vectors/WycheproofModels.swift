import Foundation

/// Codable model of the Wycheproof `testvectors_v1` signature-verification files used here
/// (ECDSA P1363 and DER, EdDSA, RSASSA-PKCS1-v1_5, RSASSA-PSS).
struct WycheproofFile: Decodable {
    let algorithm: String
    let numberOfTests: Int?
    let testGroups: [WycheproofGroup]

    /// Decodes `wycheproof/<name>` from the shared vectors folder.
    static func load(_ name: String) throws -> WycheproofFile {
        try JSONDecoder().decode(WycheproofFile.self, from: VectorFiles.data("wycheproof/\(name)"))
    }
}

/// One key and the tests made with it.
struct WycheproofGroup: Decodable {
    let type: String
    /// The JWK the ECDSA, EdDSA and PSS files carry (all members are strings).
    let publicKeyJwk: [String: String]?
    /// The JWK the PKCS #1 file carries under another name.
    let keyJwk: [String: String]?
    /// The raw key forms, used when there is no JWK.
    let publicKey: WycheproofRawKey?
    let tests: [WycheproofTest]

    /// The group's JWK, if the file gives one.
    var jwk: [String: String]? { publicKeyJwk ?? keyJwk }
}

/// The raw public-key forms; which members are present depends on the key type.
struct WycheproofRawKey: Decodable {
    /// ECDSA: `secp256r1`, `secp384r1`.
    let curve: String?
    /// ECDSA: 04 ‖ x ‖ y in hex.
    let uncompressed: String?
    /// EdDSA: the 32-byte key in hex.
    let pk: String?
    /// RSA: the modulus in hex (may have a leading 00).
    let modulus: String?
    /// RSA: the public exponent in hex.
    let publicExponent: String?
}

/// One test case.
struct WycheproofTest: Decodable {
    let tcId: Int
    let comment: String
    let flags: [WycheproofFlag]
    let msg: String
    let sig: String
    let result: WycheproofResult
}

/// A test's expected outcome in Wycheproof's terms. Decoding fails on any other value.
enum WycheproofResult: String, Decodable, Sendable {
    case valid
    case invalid
    case acceptable
}

/// A Wycheproof flag. The flags a policy decision refers to are cases; every other flag is kept by
/// name in `other`, so new flags never break decoding but also cannot silently change a decision.
enum WycheproofFlag: Hashable, Sendable, Decodable, CustomStringConvertible {
    /// `ValidSignature` (ECDSA) or `Valid` (EdDSA).
    case validSignature
    /// A modified but still mathematically valid signature (for ECDSA: the high-S twin).
    case signatureMalleability
    /// PKCS #1 v1.5 DigestInfo without the NULL parameters.
    case missingNull
    /// RSA keys with a small public exponent (e = 3).
    case smallPublicKey
    /// A BER (not DER) encoded ECDSA signature.
    case berEncodedSignature
    /// A genuine signature made with another primitive of the same key (PSS in the PKCS #1 file and
    /// the reverse): invalid under the file's algorithm, valid under the other RSA algorithm.
    case wrongPrimitive
    /// Any other flag, by name.
    case other(String)

    private static let named: [String: WycheproofFlag] = [
        "ValidSignature": .validSignature, "Valid": .validSignature,
        "SignatureMalleability": .signatureMalleability,
        "MissingNull": .missingNull,
        "SmallPublicKey": .smallPublicKey,
        "BerEncodedSignature": .berEncodedSignature,
        "WrongPrimitive": .wrongPrimitive,
    ]

    init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        self = Self.named[name] ?? .other(name)
    }

    var description: String {
        switch self {
        case .validSignature: "ValidSignature"
        case .signatureMalleability: "SignatureMalleability"
        case .missingNull: "MissingNull"
        case .smallPublicKey: "SmallPublicKey"
        case .berEncodedSignature: "BerEncodedSignature"
        case .wrongPrimitive: "WrongPrimitive"
        case .other(let name): name
        }
    }
}
