import Crypto
import Foundation

/// The messages a new mailbox starts with, so a demo or a drill has something to read (and a
/// hunt has items to name).
public enum MailSeed {
    /// A fresh message id: `msg_` and 128 random bits in lowercase hex.
    public static func messageID() -> String {
        let bytes = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
        return "msg_" + bytes.map { hex[Int($0 >> 4)] + hex[Int($0 & 0x0F)] }.joined()
    }

    /// Five inbox messages for `mailbox`, the newest at `now`, one a day before it.
    public static func messages(for mailbox: Mailbox, now: Date) -> [MailMessage] {
        let domain = mailbox.address.split(separator: "@").last.map(String.init) ?? "example"
        let items: [(from: String, subject: String, body: String)] = [
            ("it@\(domain)", "Welcome to Keybound Mail", "Your mailbox is ready. Tokens for it are accepted only from your own identity system."),
            ("finance@\(domain)", "Q3 budget review", "Please review the attached figures before Thursday's meeting."),
            ("security@\(domain)", "Key rotation completed", "The signing keys of your tenant were rotated on schedule. No action is needed."),
            ("travel@\(domain)", "Itinerary for your trip", "Flight KB 558 departs at 09:40. Your hotel is booked for three nights."),
            ("team@\(domain)", "Lunch on Friday?", "A few of us are going to the new place around the corner. Join us?"),
        ]
        return items.enumerated().map { index, item in
            MailMessage(id: messageID(), mailbox: mailbox.address, folder: .inbox, from: item.from, to: [mailbox.address],
                        subject: item.subject, body: item.body, receivedAt: now.addingTimeInterval(-Double(index) * 86_400))
        }
    }

    private static let hex = "0123456789abcdef".map(String.init)
}
