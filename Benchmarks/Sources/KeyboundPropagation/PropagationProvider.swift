import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Keybound
import KeyboundServer
import KeyboundStore
import Logging
import ServiceLifecycle

/// A Keybound provider in this process, on a free loopback port, over a temporary data directory,
/// with one consumer issuer (`bench`), a resource `api://bench` and its server client
/// `bench-validator` (client_secret_basic), which every validator follows token-events as.
struct PropagationProvider: Sendable {
    static let issuerID = "bench"
    static let audience = "api://bench"
    static let serverClientID = "bench-validator"
    /// The server client's secret (generated per run, never printed).
    let serverClientSecret: String
    let directory: URL
    let context: ProviderContext
    let group: ServiceGroup
    let server: Task<Void, any Error>

    var manager: KeyManager { context.manager }
    var issuerURL: String { context.configuration.issuerURL(Self.issuerID) }

    /// Creates the store and the issuer, and starts serving.
    static func start() async throws -> PropagationProvider {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-propagation-\(UUID().uuidString)")
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
        let port = try freePort()
        let configuration = ServerConfiguration(host: "127.0.0.1", port: port, publicURL: "http://127.0.0.1:\(port)",
                                                bootstrap: false, metricsEnabled: false)
        let context = ProviderContext(manager: manager, store: try SQLiteProviderStore(directory: directory), configuration: configuration)
        try await manager.createIssuer(IssuerRecord(id: issuerID, url: configuration.issuerURL(issuerID), kind: .consumer, createdAt: Date()))
        let secret = UUID().uuidString + UUID().uuidString
        try await context.store.insert(ClientRecord(issuerID: issuerID, clientID: serverClientID, name: "Propagation validators",
                                              authenticationMethod: .clientSecretBasic, secretHash: Self.hexSHA256(secret), grantTypes: [],
                                              createdAt: Date()))
        try await context.store.upsert(ResourceRecord(issuerID: issuerID, audience: audience, scopes: [], roles: [], serverClients: [serverClientID]))
        var logger = Logger(label: "keybound-propagation")
        logger.logLevel = .warning
        let app = KeyboundApplication.make(context: context, logger: logger)
        // Stopped by graceful shutdown, as `keybound serve` is: cancelling the serving task can trap
        // in NIO when a validator's reconnect was accepted but not yet served (swift-nio#2637).
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let server = Task { try await group.run() }
        return PropagationProvider(serverClientSecret: secret, directory: directory, context: context, group: group, server: server)
    }

    /// Stops the server and removes the data directory.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await server.result
        try? FileManager.default.removeItem(at: directory)
    }

    /// A token of the issuer's active key, and that key's id.
    func activeKeyToken() async throws -> (keyID: String, token: String) {
        let key = try await manager.signingKey(issuerID: Self.issuerID)
        let at = Date().timeIntervalSince1970.rounded(.down)
        let token = try await TokenSigner(key: key).sign(claims: JSONObject([
            "iss": .string(issuerURL), "tid": .string(try tenantID()), "sub": .string("bench-user"), "aud": .string("api://bench"), "exp": .number(at + 600),
            "iat": .number(at), "jti": .string(UUID().uuidString), "client_id": .string("bench")]))
        return (key.keyID, token)
    }

    /// A signed access token of the issuer's active key, committed to the issuance ledger as
    /// Keybound would (so that revoking it records a token event), and its `jti`.
    /// The issuer's tenant id, which every token of it carries (a consumer realm has one too).
    func tenantID() async throws -> String { try await manager.issuer(id: Self.issuerID).tenantID ?? "" }

    func ledgerToken() async throws -> (tokenID: String, token: String) {
        let key = try await manager.signingKey(issuerID: Self.issuerID)
        let now = Date()
        let at = now.timeIntervalSince1970.rounded(.down)
        let tokenID = UUID().uuidString
        let signed = try await TokenSigner(key: key).signed(claims: JSONObject([
            "iss": .string(issuerURL), "tid": .string(try tenantID()), "sub": .string("bench-user"), "aud": .string(Self.audience), "exp": .number(at + 600),
            "iat": .number(at), "jti": .string(tokenID), "client_id": .string("bench")]))
        let record = await IssuanceRecord(issuerID: Self.issuerID, keyID: key.keyID, tokenID: tokenID, kind: .access, subject: "bench-user",
                                    clientID: "bench", audience: [Self.audience], scope: "", roles: [], tenantID: try tenantID(),
                                    issuedAt: Date(timeIntervalSince1970: at), expiresAt: Date(timeIntervalSince1970: at + 600),
                                    parentTokenID: nil, sessionID: nil, chainID: nil, grantType: "client_credentials",
                                    claimsDigest: Self.hexSHA256(bytes: signed.payload))
        try await context.store.commit(IssuanceEntry(records: [record]))
        return (tokenID, signed.token)
    }

    static func hexSHA256(_ text: String) -> String { hexSHA256(bytes: Array(text.utf8)) }

    static func hexSHA256(bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PropagationError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw PropagationError("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw PropagationError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Why the benchmark could not run.
struct PropagationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
