/// A stable error code: a string (snake_case) that callers switch on and `docs/errors.md` lists.
public protocol ErrorCode: RawRepresentable, Hashable, Sendable where RawValue == String {}

/// Keybound's one error shape, in every module: a stable code and one line for people.
///
/// Each module names its own codes and its own error, for example
/// `typealias StoreError = CodedError<StoreErrorCode>`, so that a `throws(StoreError)` says which
/// codes can come, while every error reads the same way: `code` to decide, `message` to show.
/// A message never holds key material or a secret.
public struct CodedError<C: ErrorCode>: Error, Sendable, Equatable, CustomStringConvertible {
    /// The module's codes (`StoreError.Code` is `StoreErrorCode`).
    public typealias Code = C

    /// The stable code.
    public let code: Code
    /// One line for people.
    public let message: String

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
