import Foundation

/// An issuer's clients, users and resources.
public protocol ProviderDirectory: Sendable {
    /// Issuer `issuerID`'s directory version: the count of changes to its clients, users and
    /// resources, kept by the database's triggers (0 before the first). Read it before reading the
    /// rows a copy is made of, so that a change between the two shows as a newer version.
    func directoryVersion(issuerID: String) async throws(StoreError) -> Int64

    /// Registers a client. Throws ``StoreErrorCode/clientExists`` if the issuer has one with that id.
    func insert(_ client: ClientRecord) async throws(StoreError)
    /// Replaces a client's settings (secret, roles, redirect URIs, disabled flag…); throws
    /// ``StoreErrorCode/clientNotFound`` when the issuer has no such client.
    func update(_ client: ClientRecord) async throws(StoreError)
    /// The client `clientID` of issuer `issuerID`, or `nil`. Never another issuer's client.
    func client(issuerID: String, clientID: String) async throws(StoreError) -> ClientRecord?
    /// Every client of an issuer, ordered by the bytes of its id.
    func clients(issuerID: String) async throws(StoreError) -> [ClientRecord]

    /// Creates a user. Throws ``StoreErrorCode/userExists`` if the issuer has one with that name.
    func insert(_ user: UserRecord) async throws(StoreError)
    /// Replaces a user's settings (password hash, names, disabled flag); throws
    /// ``StoreErrorCode/userNotFound`` when the issuer has no such user.
    func update(_ user: UserRecord) async throws(StoreError)
    /// The user signing in as `username` at issuer `issuerID`, or `nil`.
    func user(issuerID: String, username: String) async throws(StoreError) -> UserRecord?
    /// The user with subject `subject` at issuer `issuerID`, or `nil`.
    func user(issuerID: String, subject: String) async throws(StoreError) -> UserRecord?
    /// Every user of an issuer, ordered by the bytes of the username.
    func users(issuerID: String) async throws(StoreError) -> [UserRecord]

    /// Registers (or replaces, server clients included) a resource of an issuer. Every server
    /// client must be a confidential client of the same issuer, looked up inside the write
    /// transaction; otherwise ``StoreErrorCode/invalidResource``.
    func upsert(_ resource: ResourceRecord) async throws(StoreError)
    /// Every resource of an issuer, ordered by the bytes of the audience.
    func resources(issuerID: String) async throws(StoreError) -> [ResourceRecord]
    /// The resource `audience` of issuer `issuerID` (exact bytes), or `nil`.
    func resource(issuerID: String, audience: String) async throws(StoreError) -> ResourceRecord?
}

/// The checks both backends run before they write a directory row.
public enum ProviderRecordRules {
    /// A username is 1–256 bytes on one line.
    public static func validate(_ user: UserRecord) throws(StoreError) {
        guard !user.username.isEmpty, user.username.utf8.count <= 256, !user.username.contains(where: \.isNewline) else {
            throw StoreError(.invalidUser, "a username is 1–256 bytes on one line")
        }
    }

    /// A resource's audience is a non-empty URI without spaces; each server client is a valid
    /// client id, named once (compared by bytes). Whether each is a confidential client of the
    /// same issuer is for the backend to check inside its write transaction
    /// (``checkServerClient(_:method:of:)``).
    public static func validate(_ resource: ResourceRecord) throws(StoreError) {
        guard !resource.audience.isEmpty, !resource.audience.contains(" ") else {
            throw StoreError(.invalidResource, "a resource audience is a non-empty URI without spaces")
        }
        guard !resource.audience.isExactly(ConsoleResource.audience) else {
            throw StoreError(.invalidResource, "'\(ConsoleResource.audience)' is the console's built-in resource; it cannot be registered")
        }
        for (index, clientID) in resource.serverClients.enumerated() {
            guard ClientRecord.isValidClientID(clientID) else {
                throw StoreError(.invalidResource, "server client '\(clientID)' is not a valid client id")
            }
            guard !resource.serverClients[..<index].contains(where: { $0.utf8.elementsEqual(clientID.utf8) }) else {
                throw StoreError(.invalidResource, "server client '\(clientID)' is named twice")
            }
        }
    }

    /// Refuses server client `clientID` of `resource` unless it exists at the resource's issuer
    /// (`method` is its stored authentication method, `nil` when there is no such client) and is
    /// confidential.
    public static func checkServerClient(_ clientID: String, method: String?, of resource: ResourceRecord) throws(StoreError) {
        guard let method else {
            throw StoreError(.invalidResource, "issuer '\(resource.issuerID)' has no client '\(clientID)' to serve '\(resource.audience)'")
        }
        guard method != ClientRecord.AuthenticationMethod.none.rawValue else {
            throw StoreError(.invalidResource, "client '\(clientID)' is a public client; a server client must be confidential")
        }
    }
}
