import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation

/// The server client credentials `keybound mail serve` follows each trusted issuer's
/// `/<issuer>/token-events` with: a JSON object from a file (`--credentials-file`, or
/// `$KEYBOUND_MAIL_CREDENTIALS_FILE`) or from `$KEYBOUND_MAIL_CREDENTIALS`, never from the command
/// line (where other users of the machine could read it):
///
/// ```json
/// {"https://id.example.com/contoso": {"client_id": "contoso-mail", "client_secret": "kbs_…"}}
/// ```
///
/// Each key must be one of the `--trust` issuer URLs, exactly; each value names a confidential
/// client of that issuer that is a server client of `api://mail`. No message ever quotes a secret.
enum MailCredentials {
    /// The largest credentials document read.
    static let maximumSize = 64 * 1024

    /// Where the credentials come from: the file flag, else the file variable, else the inline variable.
    static func load(file: String?, environment: [String: String], trusted: [String]) throws(CLIError) -> [String: StreamCredentials] {
        let path = file ?? environment["KEYBOUND_MAIL_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let path {
            let bytes = try CLIInput.readFile(path, what: "the credentials file")
            guard bytes.count <= maximumSize else { throw CLIError("the credentials file '\(path)' is larger than \(maximumSize) bytes") }
            return try parse(bytes, source: "the credentials file '\(path)'", trusted: trusted)
        }
        if let inline = environment["KEYBOUND_MAIL_CREDENTIALS"], !inline.isEmpty {
            guard inline.utf8.count <= maximumSize else { throw CLIError("KEYBOUND_MAIL_CREDENTIALS is larger than \(maximumSize) bytes") }
            return try parse(Array(inline.utf8), source: "KEYBOUND_MAIL_CREDENTIALS", trusted: trusted)
        }
        return [:]
    }

    /// Parses the document; `source` names it in errors.
    static func parse(_ bytes: [UInt8], source: String, trusted: [String]) throws(CLIError) -> [String: StreamCredentials] {
        let object: JSONObject
        do { object = try StrictJSONParser.parseObject(bytes) } catch { throw CLIError("\(source) is not a JSON object (its content is not shown)") }
        var result: [String: StreamCredentials] = [:]
        for member in object.members {
            guard let issuer = trusted.first(where: { $0.isExactly(member.name) }) else {
                throw CLIError("\(source) names '\(member.name)', which is not a --trust issuer (exactly); trusted: \(trusted.joined(separator: ", "))")
            }
            guard case .object(let entry) = member.value else { throw CLIError("\(source): '\(issuer)' must map to an object") }
            for name in entry.names where !["client_id", "client_secret"].contains(where: { $0.isExactly(name) }) {
                throw CLIError("\(source): '\(issuer)' has an unknown member '\(name)'; known: client_id, client_secret")
            }
            guard case .string(let clientID)? = entry["client_id"], !clientID.isEmpty, clientID.utf8.count <= 128 else {
                throw CLIError("\(source): '\(issuer)' needs a 'client_id' string")
            }
            guard case .string(let secret)? = entry["client_secret"], !secret.isEmpty else {
                throw CLIError("\(source): '\(issuer)' needs a 'client_secret' string")
            }
            result[issuer] = .clientSecretBasic(clientID: clientID, secret: secret)
        }
        return result
    }
}
