import Foundation
import HTTPTypes
import Hummingbird
import Keybound
import KeyboundStore
import NIOCore

/// The console's calls to the token endpoint of an issuer of this server: the code exchange after
/// sign-in and the refresh of a session's access token.
///
/// They run in this process, through the very ``TokenEndpoint`` every client uses (the same client
/// authentication, PKCE and redirect URI checks, the same ledger), as the console's public client
/// (``ConsoleResource/clientID``); nothing goes over the network, and no token or code is ever
/// put in a URL.
struct ConsoleTokens: Sendable {
    let context: ProviderContext

    /// What a token response gave the console.
    struct Issued: Sendable {
        let accessToken: String
        let accessExpiresAt: Date
        let refreshToken: String?
        let idToken: String?
    }

    /// The `authorization_code` grant for `code`, with the PKCE `verifier` the sign-in kept.
    func exchange(code: String, verifier: String, issuer: IssuerRecord) async throws -> Issued {
        try await call(issuer, form: [
            ("grant_type", GrantType.authorizationCode.rawValue), ("code", code),
            ("redirect_uri", DevelopmentBootstrap.consoleRedirectURI(context.configuration)),
            ("code_verifier", verifier), ("client_id", ConsoleResource.clientID),
        ])
    }

    /// The `refresh_token` grant: a new access token, and the rotated refresh token.
    func refresh(_ refreshToken: String, issuer: IssuerRecord) async throws -> Issued {
        try await call(issuer, form: [
            ("grant_type", GrantType.refreshToken.rawValue), ("refresh_token", refreshToken),
            ("client_id", ConsoleResource.clientID),
        ])
    }

    /// RFC 7009 revocation at sign-out: the refresh token (which revokes its whole chain and the
    /// access tokens issued in it), else the access token, so that nothing the session held stays
    /// usable after it ends.
    func revoke(accessToken: String, refreshToken: String?, issuer: IssuerRecord) async throws {
        let token = refreshToken ?? accessToken
        let response = try await RevocationEndpoint(context: context).handle(
            Self.formRequest(path: "/\(issuer.id)/revoke", form: [("token", token), ("client_id", ConsoleResource.clientID)]), issuer: issuer)
        guard response.status == .ok else { throw OAuthError.serverError("the revocation endpoint refused the console's token") }
    }

    /// An in-process form POST to `path`.
    private static func formRequest(path: String, form: [(String, String)]) -> Request {
        var head = HTTPRequest(method: .post, scheme: "http", authority: "console.internal", path: path)
        head.headerFields[.contentType] = "application/x-www-form-urlencoded"
        let body = form.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        return Request(head: head, body: RequestBody(buffer: ByteBuffer(string: body)))
    }

    private func call(_ issuer: IssuerRecord, form: [(String, String)]) async throws -> Issued {
        let request = Self.formRequest(path: "/\(issuer.id)/token", form: form)
        let response = try await TokenEndpoint(context: context).handle(request, issuer: issuer)
        let object = try StrictJSONParser.parseObject(try await Self.collect(response))
        guard response.status == .ok, let access = object["access_token"]?.stringValue,
              let expiresIn = object["expires_in"]?.numberValue else {
            throw OAuthError.invalidGrant("the token endpoint gave the console no access token")
        }
        return Issued(accessToken: access, accessExpiresAt: context.now().addingTimeInterval(expiresIn),
                      refreshToken: object["refresh_token"]?.stringValue, idToken: object["id_token"]?.stringValue)
    }

    /// The bytes of an in-process response's body.
    static func collect(_ response: Response) async throws -> [UInt8] {
        let collected = CollectedBody()
        try await response.body.write(CollectingWriter(collected: collected))
        return collected.bytes
    }

    /// `application/x-www-form-urlencoded` for one name or value: everything but the unreserved
    /// characters percent-encoded.
    static func formEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(Character(UnicodeScalar(byte)))
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }
}

/// The bytes of an in-process response body.
private final class CollectedBody: @unchecked Sendable {
    // Written by one writer, in order, before it is read: no concurrent access.
    var bytes: [UInt8] = []
}

private struct CollectingWriter: ResponseBodyWriter {
    let collected: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        collected.bytes += buffer.readableBytesView
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
