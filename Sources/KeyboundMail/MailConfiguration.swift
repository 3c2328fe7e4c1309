import Foundation
import KeyboundResourceKit

/// Keybound Mail's settings.
public struct MailConfiguration: Sendable {
    /// The issuers whose tokens are accepted (each still only under its own keys). Never empty.
    public let allowedIssuers: Set<String>
    /// Messages listed when `$top` is not given.
    public var defaultListSize = 25
    /// The most messages one list returns.
    public var maximumListSize = 100
    /// The largest `sendMail` request body, in bytes.
    public var maximumRequestBytes = 64 * 1024
    /// The most recipients of one message.
    public var maximumRecipients = 50
    /// The most audit records one `GET /audit/records` returns.
    public var maximumAuditPage = 1_000
    /// Whether a user's first delegated request creates their mailbox (with the seed messages).
    /// The address is `<sub>@<tenant id>` unless the mailbox was provisioned beforehand.
    public var provisionOnFirstUse = true
    /// Bounds on the audit records of refused, unverified requests: rate limits per client
    /// address and overall, and the window in which an alert attempt's repeats fold.
    public var refusedAuditLimits = RefusedAuditLimits()

    /// A configuration accepting tokens of `allowedIssuers`. Throws when the set is empty.
    public init(allowedIssuers: Set<String>) throws(MailConfigurationError) {
        guard !allowedIssuers.isEmpty, !allowedIssuers.contains("") else {
            throw MailConfigurationError("name at least one trusted issuer; Keybound Mail has no 'any issuer'")
        }
        self.allowedIssuers = allowedIssuers
    }
}

/// A Keybound Mail configuration that cannot be used.
public struct MailConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}
