import Foundation
import Keybound

/// An OAuth client registered with one issuer. A client belongs to exactly one issuer: its id is
/// looked up together with the issuer, so a client of `consumers` does not exist for `contoso`.
public struct ClientRecord: Sendable, Equatable {
    /// How a client proves who it is at the token, introspection and revocation endpoints.
    public enum AuthenticationMethod: String, Sendable, CaseIterable {
        /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
        case clientSecretBasic = "client_secret_basic"
        /// `client_id` and `client_secret` in the form body.
        case clientSecretPost = "client_secret_post"
        /// A JWT signed with one of the client's registered keys (RFC 7523, OIDC Core §9).
        case privateKeyJWT = "private_key_jwt"
        /// A public client: no secret; it identifies itself with `client_id` and must use PKCE.
        case none
    }

    /// The issuer's id.
    public var issuerID: String
    /// The client id (unique within the issuer).
    public var clientID: String
    /// A display name shown on the login page.
    public var name: String
    /// The one authentication method this client uses.
    public var authenticationMethod: AuthenticationMethod
    /// Lowercase hex SHA-256 of the client secret, for the two secret methods.
    public var secretHash: String?
    /// The client's public key set (JSON text), for `private_key_jwt`.
    public var jwks: String?
    /// Exact redirect URIs for the authorization code flow.
    public var redirectURIs: [String]
    /// Grant types the client may use.
    public var grantTypes: [String]
    /// Application roles granted to the client, as `<resource audience>/<role>` (e.g. `api://mail/Mail.Read.All`).
    public var roles: [String]
    /// First-party clients skip the consent step.
    public var isFirstParty: Bool
    /// When the client was registered.
    public var createdAt: Date
    /// A disabled client cannot authenticate.
    public var isDisabled: Bool
    /// The algorithm its ID tokens are signed with (OpenID Connect client metadata
    /// `id_token_signed_response_alg`): `nil` for the default, RS256 (the issuer's ID-token key), or
    /// the issuer's own algorithm (its access-token key). See ``IDTokenSigning``.
    public var idTokenSignedResponseAlgorithm: JWSAlgorithm? = nil

    /// Whether the client authenticates with a secret or a key.
    public var isConfidential: Bool { authenticationMethod != .none }

    /// A client record.
    public init(issuerID: String, clientID: String, name: String, authenticationMethod: AuthenticationMethod,
                secretHash: String? = nil, jwks: String? = nil, redirectURIs: [String] = [], grantTypes: [String],
                roles: [String] = [], isFirstParty: Bool = true, createdAt: Date, isDisabled: Bool = false) {
        self.issuerID = issuerID
        self.clientID = clientID
        self.name = name
        self.authenticationMethod = authenticationMethod
        self.secretHash = secretHash
        self.jwks = jwks
        self.redirectURIs = redirectURIs
        self.grantTypes = grantTypes
        self.roles = roles
        self.isFirstParty = isFirstParty
        self.createdAt = createdAt
        self.isDisabled = isDisabled
    }

    /// Grant types Keybound implements (``GrantType``), by name.
    public static let supportedGrantTypes = GrantType.allCases.map(\.rawValue)

    /// Throws ``StoreErrorCode/invalidClient`` when the settings do not hold together.
    public func validate() throws(StoreError) {
        guard Self.isValidClientID(clientID) else {
            throw StoreError(.invalidClient, "a client id is 1–128 characters of a-z, A-Z, 0-9, '-' and '_'")
        }
        for grant in grantTypes where GrantType(exactly: grant) == nil {
            throw StoreError(.invalidClient, "unsupported grant type '\(grant)'")
        }
        switch authenticationMethod {
        case .clientSecretBasic, .clientSecretPost:
            guard let secretHash, secretHash.count == 64 else { throw StoreError(.invalidClient, "a secret client needs a secret") }
        case .privateKeyJWT:
            guard jwks != nil else { throw StoreError(.invalidClient, "a private_key_jwt client needs a key set") }
        case .none:
            guard !grantTypes.containsExactly(GrantType.clientCredentials.rawValue) else {
                throw StoreError(.invalidClient, "a public client cannot use client_credentials")
            }
            guard roles.isEmpty else { throw StoreError(.invalidClient, "a public client cannot hold application roles") }
        }
        if grantTypes.contains("authorization_code") {
            guard !redirectURIs.isEmpty else { throw StoreError(.invalidClient, "the authorization code flow needs a redirect URI") }
            for uri in redirectURIs {
                guard let url = URL(string: uri), let scheme = url.scheme?.lowercased(), url.host != nil, url.fragment == nil,
                      scheme == "https" || (scheme == "http" && Self.isLoopback(url.host!)) else {
                    throw StoreError(.invalidClient, "redirect URI '\(uri)' must be an absolute https URL (http only for loopback) without a fragment")
                }
            }
        }
    }

    /// 1–128 characters of a-z, A-Z, 0-9, '-' and '_'.
    public static func isValidClientID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy {
            (0x61...0x7A).contains($0) || (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host.lowercased())
    }
}
