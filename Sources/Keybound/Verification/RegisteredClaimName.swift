#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The claim names Keybound reads with their types enforced, matched by exact bytes without
/// allocating (this runs for every member of every token).
enum RegisteredClaimName: Int, CaseIterable {
    case iss, sub, aud, exp, nbf, iat, jti, tid, clientID, scope

    /// A set of names as bits.
    typealias Set = RegisteredClaimNameSet

    var text: String {
        switch self {
        case .iss: "iss"
        case .sub: "sub"
        case .aud: "aud"
        case .exp: "exp"
        case .nbf: "nbf"
        case .iat: "iat"
        case .jti: "jti"
        case .tid: "tid"
        case .clientID: "client_id"
        case .scope: "scope"
        }
    }

    var bit: RegisteredClaimNameSet {
        RegisteredClaimNameSet(rawValue: 1 << UInt16(rawValue))
    }

    /// The registered name whose UTF-8 bytes are exactly those of `name`.
    init?(exactly name: String) {
        var name = name
        guard let match = name.withUTF8({ RegisteredClaimName(exactly: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = match
    }

    /// The registered name whose UTF-8 bytes are exactly `bytes`.
    init?(exactlyBytes bytes: [UInt8]) {
        guard let match = bytes.withUnsafeBytes({ RegisteredClaimName(exactly: $0) }) else { return nil }
        self = match
    }

    /// The registered name whose UTF-8 bytes are exactly `bytes`.
    init?(exactly bytes: UnsafeRawBufferPointer) {
        let match: RegisteredClaimName? = {
            switch bytes.count {
            case 3:
                switch UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 {
                case Self.packed("iss"): return .iss
                case Self.packed("sub"): return .sub
                case Self.packed("aud"): return .aud
                case Self.packed("exp"): return .exp
                case Self.packed("nbf"): return .nbf
                case Self.packed("iat"): return .iat
                case Self.packed("jti"): return .jti
                case Self.packed("tid"): return .tid
                default: return nil
                }
            case 5:
                return Self.equal(bytes, "scope") ? .scope : nil
            case 9:
                return Self.equal(bytes, "client_id") ? .clientID : nil
            default:
                return nil
            }
        }()
        guard let match else { return nil }
        self = match
    }

    /// Whether `bytes` are exactly `text`'s bytes (compared in place, not through a `String`).
    private static func equal(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && memcmp(bytes.baseAddress!, text.utf8Start, bytes.count) == 0
    }

    private static func packed(_ text: StaticString) -> UInt32 {
        let bytes = text.utf8Start
        return UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16
    }
}

/// A set of ``RegisteredClaimName``s.
struct RegisteredClaimNameSet: OptionSet, Sendable {
    let rawValue: UInt16
}
