import Foundation
import Keybound
import KeyboundStore

/// Who may learn what about a token at `/<issuer>/introspect` (RFC 7662 §4: the endpoint must not
/// tell a client about tokens that are none of its business). The caller is an authenticated
/// confidential client of the issuer; it may introspect
/// - a token issued to itself (its own `client_id`, exact bytes), and
/// - an access token of an audience it serves: it is a server client of one of the issuer's
///   resources whose audience is in the token's `aud` (exact bytes).
///
/// Refresh tokens only by their own client. Everything else is answered `{"active": false}`,
/// exactly like an unknown token, so nothing leaks.
struct IntrospectionAccess: Sendable {
    let caller: ClientRecord
    /// The issuer's resources (their server clients).
    let resources: [ResourceRecord]

    /// Whether the caller may see a refresh token issued to `owner`.
    func mayIntrospectRefreshToken(issuedTo owner: String) -> Bool {
        owner.isExactly(caller.clientID)
    }

    /// Whether the caller may see an access token issued to `owner` for `audience`.
    func mayIntrospectAccessToken(issuedTo owner: String, audience: [String]) -> Bool {
        owner.isExactly(caller.clientID) || !servedAudiences(among: audience).isEmpty
    }

    /// The audiences of `audience` that the caller serves.
    func servedAudiences(among audience: [String]) -> [String] {
        audience.filter { aud in resources.contains { $0.audience.isExactly(aud) && $0.isServed(by: caller.clientID) } }
    }
}
