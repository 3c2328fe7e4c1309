import KeyboundResourceKit

/// Keybound Mail's request context: the kit's (the bearer identity and outcome, the peer address).
public typealias MailRequestContext = ResourceRequestContext

/// A refusal by Keybound Mail: the kit's, with Keybound Mail's codes (`docs/mail.md` lists them).
public typealias MailError = ResourceError
