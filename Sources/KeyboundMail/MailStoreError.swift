/// Why the mail store refused or failed an operation.
public struct MailStoreError: Error, Sendable, CustomStringConvertible {
    /// One line, without message contents.
    public let description: String
    /// Whether the operation was refused because an address belongs to another mailbox.
    public let isAddressTaken: Bool

    init(_ description: String, addressTaken: Bool = false) {
        self.description = description
        self.isAddressTaken = addressTaken
    }
}
