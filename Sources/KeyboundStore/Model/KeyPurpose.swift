import Keybound

/// What a key signs. Each purpose is a lifecycle of its own (pending → active → verify-only →
/// retired, or revoked), rotated, sealed and bound to its issuer like any key, and each issuer has
/// exactly one active key per purpose.
public enum KeyPurpose: String, Sendable, CaseIterable, Comparable {
    /// Access tokens (RFC 9068), in the issuer's own algorithm (``IssuerRecord/algorithm``).
    case accessToken = "access-token"
    /// OpenID Connect ID tokens, in RS256: OpenID Connect Core §15.1 requires every provider to be
    /// able to sign ID tokens with RS256, and relying parties expect it by default.
    case idToken = "id-token"

    /// The algorithm this purpose's keys sign with at `issuer`.
    public func algorithm(of issuer: IssuerRecord) -> JWSAlgorithm {
        switch self {
        case .accessToken: issuer.algorithm
        case .idToken: .rs256
        }
    }

    /// A short name for people: "access-token key", "ID-token key".
    public var keyName: String {
        switch self {
        case .accessToken: "access-token key"
        case .idToken: "ID-token key"
        }
    }

    public static func < (lhs: KeyPurpose, rhs: KeyPurpose) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
