import Keybound

/// A `POST /me/sendMail` body, in Microsoft Graph's shape:
///
/// ```json
/// {"message": {"subject": "Hi", "body": {"contentType": "Text", "content": "Hello"},
///              "toRecipients": [{"emailAddress": {"address": "adele@contoso.example"}}]}}
/// ```
struct SendMailRequest: Equatable {
    let subject: String
    let body: String
    let recipients: [String]

    /// Why a body was refused.
    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let maximumSubjectBytes = 998

    /// Parses and checks a body: strict JSON, a subject of at most 998 bytes, a text body, 1 to
    /// `maximumRecipients` addresses of the form `local@domain` without spaces or controls.
    static func parse(_ bytes: [UInt8], maximumRecipients: Int) throws(Problem) -> SendMailRequest {
        let object: JSONObject
        do { object = try StrictJSONParser.parseObject(bytes) } catch { throw Problem("the body is not a JSON object") }
        guard let message = object["message"]?.objectValue else { throw Problem("the body has no 'message' object") }
        let subject = message["subject"]?.stringValue ?? ""
        guard subject.utf8.count <= maximumSubjectBytes else { throw Problem("the subject is longer than \(maximumSubjectBytes) bytes") }
        guard !subject.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Problem("the subject contains control characters")
        }
        let body: String
        switch message["body"] {
        case nil: body = ""
        case .string(let text)?: body = text
        case .object(let content)?:
            guard let text = content["content"]?.stringValue else { throw Problem("message.body.content must be a string") }
            body = text
        default: throw Problem("message.body must be an object with 'content'")
        }
        guard let list = message["toRecipients"]?.arrayValue, !list.isEmpty else {
            throw Problem("message.toRecipients must name at least one recipient")
        }
        guard list.count <= maximumRecipients else { throw Problem("at most \(maximumRecipients) recipients") }
        var recipients: [String] = []
        for entry in list {
            guard let address = entry.objectValue?["emailAddress"]?.objectValue?["address"]?.stringValue else {
                throw Problem("each recipient must be {\"emailAddress\": {\"address\": \"…\"}}")
            }
            guard isPlausibleAddress(address) else { throw Problem("'\(address.prefix(80))' is not an email address") }
            recipients.append(address)
        }
        return SendMailRequest(subject: subject, body: body, recipients: recipients)
    }

    /// `local@domain`, at most 254 bytes, one `@`, no spaces, controls or angle brackets.
    static func isPlausibleAddress(_ address: String) -> Bool {
        guard (3...254).contains(address.utf8.count) else { return false }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return !address.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || "<>\"".unicodeScalars.contains($0) }
    }
}
