import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Authenticates the client at the token, introspection and revocation endpoints with the one
/// method it is registered for: `client_secret_basic`, `client_secret_post`, `private_key_jwt`
/// (RFC 7523), or `none` for public clients. Clients are looked up within the issuer only.
struct ClientAuthenticator: Sendable {
    let context: ProviderContext
    /// When set, a secret or public client is read from a copy of the directory whose version the
    /// request's ledger commit checks. (A client assertion is always checked against a fresh read:
    /// its `jti` is recorded, so the request could not be tried again.)
    var copies: DirectoryCopies?

    init(context: ProviderContext, copies: DirectoryCopies? = nil) {
        self.context = context
        self.copies = copies
    }

    static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// Compared against when the client is unknown, so unknown and known clients take the same time.
    static let absentSecretHash = Secrets.hexDigest(Secrets.random256())

    /// The authenticated client. `allowPublic` lets a public client identify itself by `client_id`.
    func authenticate(_ request: Request, form: FormBody, issuer: IssuerRecord, allowPublic: Bool) async throws -> ClientRecord {
        let basic = try Self.basicCredentials(request)
        let postSecret = form["client_secret"]
        let assertion = form["client_assertion"]
        let methods = [basic != nil, postSecret != nil, assertion != nil].filter { $0 }.count
        guard methods <= 1 else { throw OAuthError.invalidRequest("use exactly one client authentication method") }

        if let (id, secret) = basic {
            if let bodyID = form["client_id"], bodyID != id { throw OAuthError.invalidRequest("client_id differs from the Basic credentials") }
            return try await secretClient(issuer: issuer, id: id, secret: secret, method: .clientSecretBasic, basic: true)
        }
        if let postSecret {
            return try await secretClient(issuer: issuer, id: try form.require("client_id"), secret: postSecret, method: .clientSecretPost, basic: false)
        }
        if let assertion {
            guard form["client_assertion_type"] == Self.assertionType else {
                throw OAuthError.invalidRequest("client_assertion_type must be \(Self.assertionType)")
            }
            return try await assertedClient(issuer: issuer, assertion: assertion, claimedID: form["client_id"])
        }
        guard let id = form["client_id"] else { throw OAuthError.invalidClient("client authentication is required", basic: true) }
        guard let client = try await lookup(issuer: issuer, id: id), !client.isDisabled else {
            throw OAuthError.invalidClient("unknown client")
        }
        guard client.authenticationMethod == .none else {
            throw OAuthError.invalidClient("client '\(id)' must authenticate with \(client.authenticationMethod.rawValue)")
        }
        guard allowPublic else { throw OAuthError.invalidClient("a public client cannot use this endpoint") }
        return client
    }

    private func lookup(issuer: IssuerRecord, id: String, fresh: Bool = false) async throws -> ClientRecord? {
        guard ClientRecord.isValidClientID(id) else { return nil }
        if let copies, !fresh {
            let (client, version) = try await context.directory.copiedClient(issuerID: issuer.id, clientID: id)
            copies.record(version)
            return client
        }
        return try await context.directory.client(issuerID: issuer.id, clientID: id)
    }

    /// Whether `request` authenticates its client with a secret (Basic or `client_secret` in the
    /// form), which can be checked again without side effects.
    static func presentsSecret(_ request: Request, form: FormBody) -> Bool {
        request.headers[.authorization] != nil || form["client_secret"] != nil
    }

    private func secretClient(issuer: IssuerRecord, id: String, secret: String, method: ClientRecord.AuthenticationMethod,
                              basic: Bool) async throws -> ClientRecord {
        let client = try await lookup(issuer: issuer, id: id)
        let presented = Secrets.hexDigest(secret)
        let matches = Secrets.constantTimeEquals(presented, client?.secretHash ?? Self.absentSecretHash)
        guard let client, matches, client.secretHash != nil, !client.isDisabled else {
            throw OAuthError.invalidClient("client authentication failed", basic: basic)
        }
        guard client.authenticationMethod == method else {
            throw OAuthError.invalidClient("client '\(id)' must authenticate with \(client.authenticationMethod.rawValue)", basic: basic)
        }
        return client
    }

    /// RFC 7523 §3: `iss` and `sub` are the client id, `aud` is this issuer or its token endpoint,
    /// `exp` within five minutes, a `jti` that is never accepted twice, signed by a registered key.
    private func assertedClient(issuer: IssuerRecord, assertion: String, claimedID: String?) async throws -> ClientRecord {
        let inspection = TokenInspection(token: assertion, now: context.now(), tokenType: .jwt)
        guard case .string(let id)? = inspection.claims?["iss"] else {
            throw OAuthError.invalidClient("the client assertion has no 'iss'")
        }
        if let claimedID, !claimedID.isExactly(id) { throw OAuthError.invalidClient("client_id differs from the assertion's issuer") }
        guard let client = try await lookup(issuer: issuer, id: id, fresh: true), !client.isDisabled,
              client.authenticationMethod == .privateKeyJWT, let jwksText = client.jwks else {
            throw OAuthError.invalidClient("client authentication failed")
        }
        let keySet: JWKSet
        do { keySet = try JWKSet(json: Array(jwksText.utf8)) } catch { throw OAuthError.serverError("the client's key set is unusable") }
        // A client assertion names no tenant: one that carries a tid is refused.
        var trusted = TrustedIssuer(identifier: id, tenancy: .noTenant, maximumTokenLifetime: 600)
        for key in keySet.keys { try? trusted.add(TrustedKey(key)) }
        var trust = TrustStore()
        do { try trust.add(trusted) } catch { throw OAuthError.serverError("the client's key set is unusable") }
        let audiences = [issuer.url, context.endpoint(issuer, "token")]
        var verified: VerifiedToken?
        var lastRejection: TokenRejection?
        for audience in audiences {
            let policy = try VerificationPolicy(audience: audience, tokenType: .jwt, additionalRequiredClaims: ["sub", "jti"])
            switch TokenVerifier(trust: trust, policy: policy, clock: .fixed(context.now())).verify(assertion) {
            case .verified(let token): verified = token
            case .rejected(let rejection): lastRejection = rejection
            }
            if verified != nil { break }
        }
        guard let token = verified else {
            throw OAuthError.invalidClient("the client assertion was rejected: \(lastRejection?.code.rawValue ?? "invalid")")
        }
        guard token.subject?.isExactly(id) == true, let jti = token.tokenID, let expiresAt = token.expiresAt else {
            throw OAuthError.invalidClient("the client assertion's 'sub' must equal its 'iss' and it needs 'jti' and 'exp'")
        }
        guard expiresAt.timeIntervalSince(context.now()) <= 600 else {
            throw OAuthError.invalidClient("the client assertion lives longer than ten minutes")
        }
        guard try await context.store.recordAssertion(issuerID: issuer.id, clientID: id, tokenID: jti, expiresAt: expiresAt) else {
            throw OAuthError.invalidClient("the client assertion was used before")
        }
        return client
    }

    /// `Authorization: Basic` credentials, form-decoded as RFC 6749 §2.3.1 requires, or `nil` if absent.
    static func basicCredentials(_ request: Request) throws -> (String, String)? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic" else {
            throw OAuthError.invalidClient("only the Basic authorization scheme is accepted here", basic: true)
        }
        let encoded = parts[1].drop(while: { $0 == " " })
        guard let decoded = Data(base64Encoded: String(encoded)),
              let text = String(validating: decoded, as: UTF8.self), let colon = text.firstIndex(of: ":") else {
            throw OAuthError.invalidClient("malformed Basic credentials", basic: true)
        }
        guard let id = FormBody.decode(text[..<colon]), !id.isEmpty,
              let secret = FormBody.decode(text[text.index(after: colon)...]) else {
            throw OAuthError.invalidClient("malformed Basic credentials", basic: true)
        }
        return (id, secret)
    }
}
