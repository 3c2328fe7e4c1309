import Foundation
import Keybound

/// A security alert: a token was presented that only someone holding a real signing key could
/// have made, where it does not belong — a key used across issuers (`issuer_key_mismatch`), a
/// revoked or inactive key (`key_revoked`, `key_not_active`), or a validly signed token its issuer
/// never issued (`token_not_issued`, `token_claims_mismatch`). See `TokenRejection.isAlert`.
public struct SecurityAlert: Sendable, Equatable {
    /// Position in this process's alert sequence, from 1 (the event id on the admin event stream).
    public let sequence: Int64
    /// When it was raised.
    public let time: Date
    /// The rejection code.
    public let code: String
    /// One line for humans.
    public let summary: String
    /// What the token claimed and where it was aimed (unverified for refused tokens).
    public let tokenIssuer: String?, keyID: String?, keyIssuer: String?, tokenID: String?
    /// The tenant, mailbox, client and address of the attempt, when known.
    public let tenant: String?, mailbox: String?, clientID: String?, clientIP: String?
    /// How many alerts with the same code, issuer, key and tenant were folded into this one since
    /// the previous one was raised (see ``AlertCenter/repeatWindow``).
    public let suppressed: Int

    /// The alert as JSON (absent fields omitted), for the event stream, the webhook and logs.
    public var jsonObject: JSONObject {
        var object = JSONObject([
            "sequence": .number(Double(sequence)), "time": .string(time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "code": .string(code), "summary": .string(summary), "suppressed": .number(Double(suppressed)),
        ])
        for (name, value) in [("iss", tokenIssuer), ("kid", keyID), ("key_issuer", keyIssuer), ("jti", tokenID), ("tenant", tenant),
                              ("mailbox", mailbox), ("client_id", clientID), ("client_ip", clientIP)] {
            if let value { object[name] = .string(value) }
        }
        return object
    }
}

/// What a resource knows about an attempt that produced an alert, besides the rejection.
public struct AlertContext: Sendable {
    /// The token's `jti` (unverified).
    public var tokenID: String?
    /// The tenant addressed or claimed.
    public var tenant: String?
    /// The mailbox (or other resource) addressed.
    public var mailbox: String?
    /// The application or client id the token names.
    public var clientID: String?
    /// The client's address.
    public var clientIP: String?

    /// A context; every field optional.
    public init(tokenID: String? = nil, tenant: String? = nil, mailbox: String? = nil, clientID: String? = nil, clientIP: String? = nil) {
        self.tokenID = tokenID
        self.tenant = tenant
        self.mailbox = mailbox
        self.clientID = clientID
        self.clientIP = clientIP
    }
}
