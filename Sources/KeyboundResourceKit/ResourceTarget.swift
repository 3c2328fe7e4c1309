import Keybound

/// Where an access attempt was aimed, as its audit record names it: the tenant (issuer, tid), the
/// resource addressed (a mailbox, a drive) and the items touched.
public struct ResourceTarget: Sendable {
    /// The tenant the attempt was verified in, if any.
    public var tenant: Tenant?
    /// The resource addressed, if any (Keybound Mail: the mailbox's address).
    public var resource: String?
    /// The items touched (messages, files), by id.
    public var items: [String]

    /// A target; every part optional.
    public init(tenant: Tenant? = nil, resource: String? = nil, items: [String] = []) {
        self.tenant = tenant
        self.resource = resource
        self.items = items
    }
}

/// A refusal decided inside a route, with where the attempt was aimed (for its audit record).
public struct ResourceRefusal: Error {
    /// The answer.
    public let error: ResourceError
    /// What the attempt addressed.
    public let target: ResourceTarget

    /// `error`, recorded against `target`.
    public init(_ error: ResourceError, _ target: ResourceTarget) {
        self.error = error
        self.target = target
    }
}
