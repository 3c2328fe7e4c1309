import Foundation

/// One access attempt on a protected resource, allowed or denied.
///
/// Token fields are `nil` when the request carried no parsable token (and may be `nil` one by one
/// when a parsable token lacked the claim). ``sequence`` and ``hash`` are assigned by
/// `AuditLog/append(_:)`; they are `0` and empty until then.
///
/// Times are kept to the millisecond: ``AuditLog`` rounds them before hashing and returns the
/// rounded record. Strings have NUL characters replaced by U+FFFD and are cut to
/// ``AuditConfiguration/maximumFieldBytes`` (see `docs/audit.md`).
public struct AuditRecord: Sendable, Equatable {
    /// Whether the attempt was allowed.
    public enum Verdict: String, Sendable, CaseIterable {
        /// The request was served.
        case allowed
        /// The request was refused (see ``AuditRecord/rejectionCode``).
        case denied
    }

    /// Whether the record's token fields and tenant come from a verified token.
    public enum Attribution: String, Sendable, CaseIterable {
        /// The token passed the verifier: its issuer, tenant and claims are facts.
        case verified
        /// The token was refused (or there was none): its fields are only what it claimed. Such a
        /// record is evidence for the hunt, but never counts in a tenant's feed or notices.
        case unverified
    }

    /// The position in the log: contiguous from 1 (0 until appended).
    public var sequence: Int64
    /// The chain hash after this record: `SHA-256(previous hash || canonical bytes)` (empty until appended).
    public var hash: [UInt8]

    /// When the attempt was made.
    public var time: Date
    /// The tenant id (`tid`) whose resource was addressed, if the request named one. A tenant is
    /// (``tenantIssuer``, tenant): the id alone names no one.
    public var tenant: String?
    /// The issuer of ``tenant``.
    public var tenantIssuer: String?
    /// Whether the token fields were verified. `nil` only in records of format 1, written before
    /// records said so (read them as verified only when allowed).
    public var attribution: Attribution?
    /// How many identical attempts this record stands for, when repeats were folded into it
    /// (`nil` for a single attempt; see `docs/audit.md`).
    public var attemptCount: Int64?
    /// The resource addressed, if any: Keybound Mail's mailbox address, Keybound Files'
    /// `drive/<sub>`. Stored in the column `mailbox`, its name since format 1.
    public var resource: String?
    /// The audience of the resource server that wrote the record (`api://mail`, `api://files`).
    /// Set in format 3; `nil` in records of formats 1 and 2, which only Keybound Mail wrote.
    public var resourceServer: String?
    /// The operation attempted (for example `messages.list`, `messages.read`).
    public var operation: String
    /// The item ids the operation touched or asked for (empty when none).
    public var itemIDs: [String]
    /// The application or client id (`client_id`/`azp`, or the authenticated client).
    public var clientID: String?
    /// The client's IP address as the server saw it.
    public var clientIP: String?
    /// The `User-Agent` header.
    public var userAgent: String?
    /// The session id (`sid`), if any.
    public var sessionID: String?
    /// The token's `iss`.
    public var tokenIssuer: String?
    /// The `kid` of the key the token named.
    public var tokenKeyID: String?
    /// The token's `jti`.
    public var tokenID: String?
    /// The token's `sub`.
    public var tokenSubject: String?
    /// The token's `aud`, as a list.
    public var tokenAudience: [String]?
    /// The token's `scope`, space-separated, as in the token.
    public var tokenScope: String?
    /// The token's `roles`.
    public var tokenRoles: [String]?
    /// The token's `iat`.
    public var tokenIssuedAt: Date?
    /// The token's `exp`.
    public var tokenExpiresAt: Date?
    /// Lowercase hex SHA-256 of the token's claims (the JWS payload bytes).
    public var claimsDigest: String?
    /// Allowed or denied.
    public var verdict: Verdict
    /// The rejection code of a denied attempt (for example `issuer_key_mismatch`, `insufficient_scope`).
    public var rejectionCode: String?

    /// A record to append; ``sequence`` and ``hash`` are assigned by the log. Writers set
    /// ``attribution`` and ``resourceServer`` (format 3); a record without the resource server is
    /// written in format 2, and one without attribution either in format 1.
    public init(
        time: Date, tenant: String?, resource: String?, operation: String, itemIDs: [String] = [],
        clientID: String?, clientIP: String?, userAgent: String?, sessionID: String?,
        tokenIssuer: String?, tokenKeyID: String?, tokenID: String?, tokenSubject: String?,
        tokenAudience: [String]?, tokenScope: String?, tokenRoles: [String]?,
        tokenIssuedAt: Date?, tokenExpiresAt: Date?, claimsDigest: String?,
        verdict: Verdict, rejectionCode: String?, tenantIssuer: String? = nil, attribution: Attribution? = nil,
        attemptCount: Int64? = nil, resourceServer: String? = nil, sequence: Int64 = 0, hash: [UInt8] = []
    ) {
        self.resourceServer = resourceServer
        self.tenantIssuer = tenantIssuer
        self.attribution = attribution
        self.attemptCount = attemptCount
        self.sequence = sequence
        self.hash = hash
        self.time = time
        self.tenant = tenant
        self.resource = resource
        self.operation = operation
        self.itemIDs = itemIDs
        self.clientID = clientID
        self.clientIP = clientIP
        self.userAgent = userAgent
        self.sessionID = sessionID
        self.tokenIssuer = tokenIssuer
        self.tokenKeyID = tokenKeyID
        self.tokenID = tokenID
        self.tokenSubject = tokenSubject
        self.tokenAudience = tokenAudience
        self.tokenScope = tokenScope
        self.tokenRoles = tokenRoles
        self.tokenIssuedAt = tokenIssuedAt
        self.tokenExpiresAt = tokenExpiresAt
        self.claimsDigest = claimsDigest
        self.verdict = verdict
        self.rejectionCode = rejectionCode
    }
}
