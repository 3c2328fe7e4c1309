import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// The `client_credentials` grant (RFC 6749 §4.4): an application's own token, with the
/// application roles it holds on one resource.
extension TokenEndpoint {
    func clientCredentials(_ form: FormBody, issuer: IssuerRecord, client: ClientRecord,
                                   copies: DirectoryCopies?) async throws -> Response {
        guard client.isConfidential else { throw OAuthError.unauthorizedClient("a public client cannot use client_credentials") }
        // Application roles are tenant-wide; a consumer realm has none to grant, whatever its store says.
        guard issuer.kind == .tenant else {
            throw OAuthError.invalidScope("issuer '\(issuer.id)' is \(issuer.kind == .consumer ? "a consumer realm" : "the operator issuer"), which has no tenant-wide roles to grant")
        }
        let resources: [ResourceRecord]
        if let copies {
            let copied = try await context.directory.copiedResources(issuerID: issuer.id)
            copies.record(copied.version)
            resources = copied.resources
        } else {
            resources = try await context.directory.resources(issuerID: issuer.id)
        }
        let scope = try GrantedScope.application(scope: form["scope"], resourceParameter: form["resource"], client: client, resources: resources)
        let grant = TokenMinter.Grant(issuer: issuer, client: client, user: nil, scope: scope, grantType: GrantType.clientCredentials.rawValue)
        let access = try await minter.accessToken(grant, now: context.now())
        try await context.store.commit(IssuanceEntry(records: [access.record], directoryVersion: copies?.version))
        ProviderMetrics.tokenIssued(issuer: issuer.id, grant: GrantType.clientCredentials.rawValue, kind: "access")
        return tokenResponse(access: access, idToken: nil, refreshToken: nil,
                             scope: scope.roles.map { "\(scope.resource!)/\($0)" }.joined(separator: " "))
    }
}
