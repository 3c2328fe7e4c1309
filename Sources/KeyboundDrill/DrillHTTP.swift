import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Keybound

/// Real HTTP over loopback with URLSession: no cookies kept, no caching, and redirects are not
/// followed (the login form answers with a redirect to the client, which carries the code).
struct DrillHTTP: Sendable {
    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]

        var json: JSONObject? { try? StrictJSONParser.parseObject(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    private let session: URLSession

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = 10
        session = URLSession(configuration: configuration, delegate: RedirectRefuser(), delegateQueue: nil)
    }

    func invalidate() { session.finishTasksAndInvalidate() }

    func get(_ url: String, bearer: String? = nil, userAgent: String = "keybound-drill") async throws -> Reply {
        var request = try Self.request(url)
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        return try await send(request)
    }

    func postForm(_ url: String, _ fields: [(String, String)], basic: (String, String)? = nil, cookie: String? = nil,
                  userAgent: String = "keybound-drill") async throws -> Reply {
        var request = try Self.request(url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        if let (id, secret) = basic {
            request.setValue("Basic " + Data("\(id):\(secret)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        }
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        request.httpBody = Data(Self.form(fields).utf8)
        return try await send(request)
    }

    private func send(_ request: URLRequest) async throws -> Reply {
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw StormDrillError("\(request.url?.absoluteString ?? "?"): not an HTTP response") }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return Reply(status: http.statusCode, headers: headers, body: Array(data))
    }

    private static func request(_ url: String) throws -> URLRequest {
        guard let parsed = URL(string: url) else { throw StormDrillError("not a URL: \(url)") }
        return URLRequest(url: parsed, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 10)
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}

/// Answers every redirect with "do not follow": the drill reads the `Location` itself.
private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // No state: @unchecked only because NSObject is not Sendable.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
