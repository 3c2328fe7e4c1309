/// Why the mail store refused or failed an operation.
public struct MailStoreError: Error, Sendable, CustomStringConvertible {
    /// One line, without message contents.
    public let description: String
    init(_ description: String) { self.description = description }
}
