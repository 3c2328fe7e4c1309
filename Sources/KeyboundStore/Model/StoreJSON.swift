import Foundation
import Keybound

/// JSON renderings of store records, shared by the CLI's `--json` output and the admin API.
/// Private key material, password hashes and secret hashes are never among them.
package enum StoreJSON {
    /// An ISO 8601 time, or `null`.
    package static func time(_ date: Date?) -> JSONValue {
        date.map { .string($0.formatted(.iso8601)) } ?? .null
    }

    /// An issuer and its lifecycle settings.
    package static func json(_ issuer: IssuerRecord) -> JSONObject {
        JSONObject([
            "id": .string(issuer.id), "url": .string(issuer.url), "kind": .string(issuer.kind.rawValue),
            "tenant_id": issuer.tenantID.map(JSONValue.string) ?? .null, "algorithm": .string(issuer.algorithm.rawValue),
            "rotation_period": .string(DurationText.text(issuer.rotationPeriod)),
            "publish_lead_time": .string(DurationText.text(issuer.publishLeadTime)),
            "maximum_token_lifetime": .string(DurationText.text(issuer.maximumTokenLifetime)),
            "maximum_key_age": .string(DurationText.text(issuer.maximumKeyAge)),
            "created_at": time(issuer.createdAt), "custody": .string(issuer.custody.rawValue),
        ])
    }

    /// A key's state and dates (never its private half).
    package static func json(_ key: KeyRecord, now: Date) -> JSONObject {
        var object = JSONObject([
            "issuer": .string(key.issuerID), "kid": .string(key.keyID), "alg": .string(key.algorithm.rawValue),
            "purpose": .string(key.purpose.rawValue), "state": .string(key.state.rawValue), "created_at": time(key.createdAt),
            "scheduled_activation": time(key.scheduledActivation), "activated_at": time(key.activatedAt),
            "deactivated_at": time(key.deactivatedAt), "verify_until": time(key.verifyUntil), "retired_at": time(key.retiredAt),
            "age": key.activatedAt.map { .string(DurationText.text(max(0, now.timeIntervalSince($0)))) } ?? .null,
            "initial": .bool(key.isInitial), "emergency_reason": key.emergencyReason.map(JSONValue.string) ?? .null,
            "custody": .string(key.custody.rawValue),
        ])
        if key.custody == .pkcs11 { object["private_destroyed_at"] = time(key.privateKeyDestroyedAt) }
        if key.state == .revoked {
            object["revoked_at"] = time(key.revokedAt)
            object["revocation_reason"] = key.revocationReason.map(JSONValue.string) ?? .null
            object["revoked_by"] = key.revokedBy.map(JSONValue.string) ?? .null
        }
        return object
    }

    /// One line describing a lifecycle transition.
    package static func json(_ transition: KeyTransition) -> JSONValue {
        let key = transition.purpose.keyName
        return switch transition {
        case .createInitialKey(let issuer, _): .string("\(issuer): initial \(key) created and active")
        case .publishNextKey(let issuer, let at, _): .string("\(issuer): next \(key) published, signs from \(at.formatted(.iso8601))")
        case .activate(let issuer, let kid, let emergency, _): .string("\(issuer): \(key) \(kid) activated\(emergency.map { " (emergency: \($0))" } ?? "")")
        case .activateFreshKey(let issuer, let reason, _): .string("\(issuer): fresh \(key) activated (emergency: \(reason))")
        case .retire(let issuer, let kid, _): .string("\(issuer): \(key) \(kid) retired")
        }
    }

    /// A client's registration; only whether it has a secret, never the secret or its hash.
    package static func json(_ client: ClientRecord) -> JSONObject {
        JSONObject([
            "issuer": .string(client.issuerID), "client_id": .string(client.clientID), "name": .string(client.name),
            "token_endpoint_auth_method": .string(client.authenticationMethod.rawValue),
            "has_secret": .bool(client.secretHash != nil), "has_jwks": .bool(client.jwks != nil),
            "redirect_uris": .array(client.redirectURIs.map(JSONValue.string)),
            "grant_types": .array(client.grantTypes.map(JSONValue.string)), "roles": .array(client.roles.map(JSONValue.string)),
            "first_party": .bool(client.isFirstParty), "disabled": .bool(client.isDisabled), "created_at": time(client.createdAt),
            "id_token_signed_response_alg": .string((client.idTokenSignedResponseAlgorithm ?? IDTokenSigning.defaultAlgorithm).rawValue),
        ])
    }

    /// A resource: its audience, scopes, roles and server clients.
    package static func json(_ resource: ResourceRecord) -> JSONObject {
        JSONObject([
            "issuer": .string(resource.issuerID), "audience": .string(resource.audience),
            "scopes": .array(resource.scopes.map(JSONValue.string)), "roles": .array(resource.roles.map(JSONValue.string)),
            "server_clients": .array(resource.serverClients.map(JSONValue.string)),
        ])
    }

    /// A user's profile; never the password hash.
    package static func json(_ user: UserRecord) -> JSONObject {
        JSONObject([
            "issuer": .string(user.issuerID), "sub": .string(user.subject), "username": .string(user.username),
            "name": .string(user.displayName), "email": user.email.map(JSONValue.string) ?? .null,
            "disabled": .bool(user.isDisabled), "created_at": time(user.createdAt),
            "roles": .array(user.roles.map(JSONValue.string)),
        ])
    }

    /// A key event.
    package static func json(_ event: KeyEvent) -> JSONObject {
        JSONObject([
            "sequence": .number(Double(event.sequence)), "issuer": .string(event.issuerID), "kid": .string(event.keyID),
            "kind": .string(event.kind.rawValue), "at": time(event.at), "actor": .string(event.actor), "reason": .string(event.reason),
        ])
    }
}
