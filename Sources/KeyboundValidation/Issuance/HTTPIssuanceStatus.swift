import AsyncHTTPClient
import Foundation
import Keybound
import NIOCore

/// ``IssuanceStatusQuerying`` over HTTP: `POST` to the issuer's `issuance_status_endpoint` as one
/// of its server clients, with the form `jti=…`, and read the provider's JSON answer
/// (`status`: `issued` with `claims_digest` and `exp`, `revoked`, or `not_issued`).
///
/// Anything else (no endpoint, no credentials, a refused or malformed answer, one about another
/// `jti`, a timeout) is ``RemoteIssuanceStatus/unavailable``, which the check turns into a refusal.
/// Redirects are never followed, and the answer is read up to 16 KiB.
public struct HTTPIssuanceStatus: IssuanceStatusQuerying {
    /// The status endpoint of an issuer, by issuer URL (from its discovery document).
    let endpoint: @Sendable (String) -> URL?
    /// Server-client credentials by issuer URL, by exact bytes (never another issuer's for a
    /// canonically equivalent URL).
    let credentials: [ExactString: StreamCredentials]
    /// The most one call may take.
    let timeout: Duration
    let client: HTTPClient

    /// Status calls to `endpoint(issuer)` with `credentials[issuer]`, each bounded by `timeout`.
    public init(endpoint: @escaping @Sendable (String) -> URL?, credentials: [String: StreamCredentials],
                timeout: Duration = .seconds(2)) {
        self.init(endpoint: endpoint, credentials: credentials, timeout: timeout, client: OutgoingHTTP.client)
    }

    package init(endpoint: @escaping @Sendable (String) -> URL?, credentials: [String: StreamCredentials], timeout: Duration,
                 client: HTTPClient) {
        self.endpoint = endpoint
        self.credentials = Dictionary(credentials.map { (ExactString($0.key), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.timeout = timeout
        self.client = client
    }

    public func status(issuer: String, tokenID: String) async -> RemoteIssuanceStatus {
        guard let url = endpoint(issuer), let credentials = credentials[ExactString(issuer)],
              let authentication = try? credentials.authentication(issuer: issuer) else { return .unavailable }
        var form = authentication.body ?? []
        if !form.isEmpty { form.append(UInt8(ascii: "&")) }
        form += Array(("jti=" + StreamCredentials.formEncoded(tokenID)).utf8)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in authentication.headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: form))
        let client = self.client
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let body: [UInt8]
        do {
            body = try await OutgoingHTTP.withTimeLimit(timeout, "POST \(url.absoluteString)") { [request] in
                let response = try await client.execute(request, deadline: OutgoingHTTP.deadline(in: seconds))
                guard response.status == .ok else { return [] }
                return try await AsyncHTTPClientFetcher.read(response, maximumBytes: 16 * 1024, target: url.absoluteString)
            }
        } catch {
            return .unavailable
        }
        return Self.parse(body, tokenID: tokenID)
    }

    /// The status a provider's answer gives `tokenID`, ``RemoteIssuanceStatus/unavailable`` for
    /// anything that is not a well-formed answer about exactly that token.
    static func parse(_ body: [UInt8], tokenID: String) -> RemoteIssuanceStatus {
        guard let object = try? StrictJSONParser.parseObject(body), case .string(let answered)? = object["jti"],
              answered.isExactly(tokenID), case .string(let status)? = object["status"] else { return .unavailable }
        switch status {
        case "issued":
            guard case .string(let hex)? = object["claims_digest"], let digest = ParsedTokenEvent.digest(hex),
                  case .number(let exp)? = object["exp"], exp.isFinite else { return .unavailable }
            return .issued(claimsDigest: digest, expiresAt: Date(timeIntervalSince1970: exp))
        case "revoked": return .revoked
        case "not_issued": return .notIssued
        default: return .unavailable
        }
    }
}
