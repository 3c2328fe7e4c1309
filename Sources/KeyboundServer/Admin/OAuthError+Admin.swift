extension OAuthError {
    /// 400 `invalid_settings`: the admin request is well formed — it matches the OpenAPI document —
    /// but its values are refused together or against the store: a role the issuer's resources do
    /// not define, any role for a consumer realm's client, a public client with client_credentials,
    /// a redirect URI that is not https, `since` after `until`. (`invalid_request` is for a request
    /// the document itself refuses.)
    package static func invalidSettings(_ why: String) -> OAuthError {
        OAuthError(status: .badRequest, error: "invalid_settings", description: why)
    }

    /// 409 `conflict`: the change collides with what the store holds (an id or name that exists,
    /// a resource already registered) or would lock a tenant admin out (``AdminLockout``).
    package static func conflict(_ why: String) -> OAuthError {
        OAuthError(status: .conflict, error: "conflict", description: why)
    }
}
