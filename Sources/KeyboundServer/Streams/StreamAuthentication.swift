import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// A validator that authenticated on an event stream: a confidential client of the issuer that
/// serves at least one of its resources (is in its `server_clients`).
struct ServerClientCaller: Sendable {
    /// The client.
    let client: ClientRecord
    /// The audiences it serves, as registered.
    let audiences: [String]

    /// Whether it serves one of `audience` (exact bytes).
    func serves(any audience: [String]) -> Bool {
        audience.contains { aud in audiences.contains { $0.isExactly(aud) } }
    }
}

/// Client authentication on the event streams, with the token endpoint's methods
/// (``ClientAuthenticator``): `client_secret_basic` in the `Authorization` header (GET or POST),
/// or, on POST, `private_key_jwt` / `client_secret_post` in a form body.
struct StreamAuthentication: Sendable {
    let context: ProviderContext

    /// Whether the request presents client credentials at all (a header, or a form body).
    static func presentsCredentials(_ request: Request) -> Bool {
        request.headers[.authorization] != nil || request.method == .post
    }

    /// The server client the request authenticates as. Throws 401 `invalid_client` when the
    /// credentials fail, 403 `unauthorized_client` when the client serves no resource of the issuer.
    func serverClient(_ request: Request, issuer: IssuerRecord) async throws -> ServerClientCaller {
        let form = request.method == .post ? try await FormBody.read(request) : try FormBody(parsing: "")
        return try await serverClient(request, form: form, issuer: issuer)
    }

    /// As ``serverClient(_:issuer:)``, with the request's form body already read.
    func serverClient(_ request: Request, form: FormBody, issuer: IssuerRecord) async throws -> ServerClientCaller {
        let client = try await ClientAuthenticator(context: context).authenticate(request, form: form, issuer: issuer, allowPublic: false)
        guard let caller = try await Self.caller(client, resources: try context.directory.resources(issuerID: issuer.id)) else {
            throw OAuthError(status: .forbidden, error: "unauthorized_client",
                             description: "client '\(client.clientID)' serves no resource of issuer '\(issuer.id)' (it is in no resource's server_clients)")
        }
        return caller
    }

    /// `client` as a server client of `resources`, or `nil` if it serves none (or is disabled).
    static func caller(_ client: ClientRecord, resources: [ResourceRecord]) throws -> ServerClientCaller? {
        guard !client.isDisabled, client.isConfidential else { return nil }
        let audiences = resources.filter { $0.isServed(by: client.clientID) }.map(\.audience)
        return audiences.isEmpty ? nil : ServerClientCaller(client: client, audiences: audiences)
    }
}
