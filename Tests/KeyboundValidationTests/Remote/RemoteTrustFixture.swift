import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Synchronization

/// The remote-trust tests' issuer, tokens and fake provider (one file, linked into the server's
/// tests, whose push-channel suites use it with a live provider).
enum RemoteTrustFixture {
    static let issuer = "https://id.example.test/contoso"

    static let tenantID = "contoso-tid"

    static func token(_ key: SigningKey, issuer: String = issuer, tenantID: String = tenantID, now: Date = Date()) throws -> String {
        let at = now.timeIntervalSince1970.rounded(.down)
        return try TokenSigner(key: key).sign(claims: JSONObject([
            "iss": .string(issuer), "sub": .string("user"), "aud": .string("api://mail"), "exp": .number(at + 300),
            "iat": .number(at), "jti": .string(UUID().uuidString), "client_id": .string("app"), "tid": .string(tenantID)]))
    }

    static func verify(_ token: String, _ store: RemoteTrustStore) throws -> VerificationResult {
        TokenVerifier(trust: store.trustStore(), policy: try VerificationPolicy(audience: "api://mail")).verify(token)
    }
}

/// A fake provider: serves one issuer's discovery document and JWKS, counts fetches, can go down.
final class FakeProvider: HTTPFetching, Sendable {
    let issuer: String
    private let state: Mutex<(keys: [SigningKey], down: Bool, fetches: Int, maxAge: Int?, declaredIssuer: String?, tenancy: JSONObject,
                              jwksURI: String?)>

    /// The tenancy members a fake issuer's discovery document publishes by default.
    static let tenancy = JSONObject(["tenant_id": .string(RemoteTrustFixture.tenantID), "tenant_kind": .string("tenant"),
                                     "max_token_lifetime": .number(3_600)])

    init(issuer: String, keys: [SigningKey], maxAge: Int? = 600) {
        self.issuer = issuer
        state = Mutex((keys, false, 0, maxAge, nil, Self.tenancy, nil))
    }

    var fetches: Int { state.withLock { $0.fetches } }
    func setDown(_ down: Bool) { state.withLock { $0.down = down } }
    func setKeys(_ keys: [SigningKey]) { state.withLock { $0.keys = keys } }
    func declare(issuer: String) { state.withLock { $0.declaredIssuer = issuer } }
    /// Announces another `jwks_uri` in the discovery document (the key set is served at any URL).
    func declare(jwksURI: String) { state.withLock { $0.jwksURI = jwksURI } }
    /// Replaces the tenancy members of the discovery document (an empty object publishes none).
    func publish(tenancy: JSONObject) { state.withLock { $0.tenancy = tenancy } }

    func get(_ url: URL, maximumBytes: Int) async throws -> HTTPFetchResult {
        let snapshot = state.withLock { state in
            state.fetches += 1
            return state
        }
        if snapshot.down { throw HTTPFetchError("connection refused") }
        let headers = snapshot.maxAge.map { ["cache-control": "public, max-age=\($0)"] } ?? [:]
        let body: JSONObject
        if url.absoluteString.hasSuffix("/.well-known/openid-configuration") {
            var document = JSONObject(["issuer": .string(snapshot.declaredIssuer ?? issuer), "jwks_uri": .string(snapshot.jwksURI ?? issuer + "/jwks")])
            for member in snapshot.tenancy.members { document[member.name] = member.value }
            body = document
        } else {
            body = JSONObject(["keys": .array(snapshot.keys.map { .object($0.publicJWK.publicJSON) })])
        }
        return HTTPFetchResult(status: 200, headers: headers, body: JSONWriter().bytes(.object(body)))
    }
}

extension Result where Failure == TokenRejection {
    var failureCode: RejectionCode? { if case .failure(let rejection) = self { rejection.code } else { nil } }
}
