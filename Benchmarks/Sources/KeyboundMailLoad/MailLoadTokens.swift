import Foundation
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The load's tokens: real access tokens issued by the provider over HTTP (`client_credentials`,
/// so each is signed with contoso's active key and committed to the issuance ledger before it is
/// handed out), for many applications of contoso, each with the role `Mail.Read.All`.
enum MailLoadTokens {
    /// One registered application and its secret.
    struct Application: Sendable {
        let clientID: String
        let secret: String
    }

    /// Registers `count` confidential applications at `issuer` with Keybound Mail's tenant-wide read role.
    static func registerApplications(_ count: Int, issuer: IssuerRecord, store: any ProviderStore, now: Date) async throws -> [Application] {
        var applications: [Application] = []
        for index in 0..<count {
            let application = Application(clientID: String(format: "\(issuer.id)-load-app-%03d", index), secret: Secrets.random256(prefix: "kbs_"))
            try await store.insert(ClientRecord(
                issuerID: issuer.id, clientID: application.clientID, name: "Load application \(index)",
                authenticationMethod: .clientSecretBasic, secretHash: Secrets.hexDigest(application.secret),
                grantTypes: ["client_credentials"], roles: ["\(DevelopmentBootstrap.mailAudience)/Mail.Read.All"], createdAt: now))
            applications.append(application)
        }
        return applications
    }

    /// `count` distinct tokens, issued round-robin over `applications` by `concurrency` parallel
    /// requests to the provider's token endpoint on `base`.
    static func issue(_ count: Int, applications: [Application], base: Int, issuerID: String, concurrency: Int = 16) async throws -> [String] {
        try await withThrowingTaskGroup(of: [(Int, String)].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var issued: [(Int, String)] = []
                    for index in stride(from: worker, to: count, by: concurrency) {
                        let application = applications[index % applications.count]
                        issued.append((index, try await fetchToken(base: base, issuerID: issuerID, application: application)))
                    }
                    return issued
                }
            }
            var tokens = [String](repeating: "", count: count)
            for try await batch in group { for (index, token) in batch { tokens[index] = token } }
            return tokens
        }
    }

    struct IssuanceFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// A client-credentials token of `application` for Keybound Mail, over HTTP (retried while the provider starts).
    static func fetchToken(base: Int, issuerID: String, application: Application) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(base)/\(issuerID)/token")!)
        request.httpMethod = "POST"
        request.setValue("Basic " + Data("\(application.clientID):\(application.secret)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default".utf8)
        for _ in 0..<100 {
            if let (data, _) = try? await URLSession.shared.data(for: request),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let token = object["access_token"] as? String {
                return token
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw IssuanceFailed(description: "no token for \(application.clientID) from the provider on port \(base)")
    }
}
