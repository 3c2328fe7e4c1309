import Keybound

/// Which key signs a client's ID tokens. RS256 by default (OpenID Connect Core §15.1, Dynamic
/// Client Registration §2): the issuer's ID-token key. A client may ask, with
/// `id_token_signed_response_alg`, for the issuer's own algorithm instead: its access-token key.
/// Nothing else is offered.
public enum IDTokenSigning {
    /// The algorithm a client gets when it asks for none.
    public static let defaultAlgorithm: JWSAlgorithm = .rs256

    /// What `issuer` can sign ID tokens with, RS256 first (its discovery document's
    /// `id_token_signing_alg_values_supported`).
    public static func supportedAlgorithms(of issuer: IssuerRecord) -> [JWSAlgorithm] {
        issuer.algorithm == defaultAlgorithm ? [defaultAlgorithm] : [defaultAlgorithm, issuer.algorithm]
    }

    /// The key purpose that signs ID tokens in `algorithm` (`nil`: the default) at `issuer`, or
    /// `nil` when the issuer cannot sign ID tokens in it.
    public static func purpose(for algorithm: JWSAlgorithm?, issuer: IssuerRecord) -> KeyPurpose? {
        let wanted = algorithm ?? defaultAlgorithm
        if wanted == KeyPurpose.idToken.algorithm(of: issuer) { return .idToken }
        if wanted == KeyPurpose.accessToken.algorithm(of: issuer) { return .accessToken }
        return nil
    }
}
