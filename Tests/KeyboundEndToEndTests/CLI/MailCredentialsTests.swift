import Foundation
@testable import keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
import Testing

/// `keybound mail serve`'s server client credentials: from a file or an environment variable,
/// per trusted issuer (exact URL), never quoted in an error.
@Suite("CLI: Keybound Mail's server client credentials")
struct MailCredentialsTests {
    static let trusted = ["https://id.example/contoso", "https://id.example/consumers"]
    static let secret = "kbs_do-not-print-me-0123456789"

    @Test("a file, else KEYBOUND_MAIL_CREDENTIALS_FILE, else KEYBOUND_MAIL_CREDENTIALS; none is no credentials")
    func sources() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-mailcred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("credentials.json")
        try Data(#"{"https://id.example/contoso": {"client_id": "contoso-mail", "client_secret": "\#(Self.secret)"}}"#.utf8).write(to: file)
        let inline = #"{"https://id.example/consumers": {"client_id": "consumers-mail", "client_secret": "x"}}"#

        let fromFlag = try MailCredentials.load(file: file.path, environment: ["KEYBOUND_MAIL_CREDENTIALS": inline], trusted: Self.trusted)
        #expect(fromFlag.keys.sorted() == ["https://id.example/contoso"])
        guard case .clientSecretBasic(let id, let secret)? = fromFlag["https://id.example/contoso"] else {
            Issue.record("not Basic credentials")
            return
        }
        #expect(id == "contoso-mail" && secret == Self.secret)
        let fromVariableFile = try MailCredentials.load(file: nil, environment: ["KEYBOUND_MAIL_CREDENTIALS_FILE": file.path,
                                                                                 "KEYBOUND_MAIL_CREDENTIALS": inline], trusted: Self.trusted)
        #expect(fromVariableFile.keys.sorted() == ["https://id.example/contoso"])
        let fromInline = try MailCredentials.load(file: nil, environment: ["KEYBOUND_MAIL_CREDENTIALS": inline], trusted: Self.trusted)
        #expect(fromInline["https://id.example/consumers"]?.clientID == "consumers-mail")
        #expect(try MailCredentials.load(file: nil, environment: [:], trusted: Self.trusted).isEmpty)
    }

    @Test("refused: an issuer not trusted (exact bytes), unknown members, missing fields, not JSON; the secret is never quoted", arguments: [
        #"{"https://id.example/Contoso": {"client_id": "a", "client_secret": "kbs_do-not-print-me-0123456789"}}"#,
        #"{"https://id.example/contoso": {"client_id": "a", "client_secret": "kbs_do-not-print-me-0123456789", "extra": 1}}"#,
        #"{"https://id.example/contoso": {"client_secret": "kbs_do-not-print-me-0123456789"}}"#,
        #"{"https://id.example/contoso": {"client_id": "a"}}"#,
        #"{"https://id.example/contoso": "kbs_do-not-print-me-0123456789"}"#,
        #"kbs_do-not-print-me-0123456789"#,
    ])
    func refused(document: String) throws {
        do {
            _ = try MailCredentials.parse(Array(document.utf8), source: "KEYBOUND_MAIL_CREDENTIALS", trusted: Self.trusted)
            Issue.record("accepted: \(document)")
        } catch {
            #expect(!error.message.contains(Self.secret), "\(error.message)")
            #expect(error.message.contains("KEYBOUND_MAIL_CREDENTIALS"))
        }
    }
}
