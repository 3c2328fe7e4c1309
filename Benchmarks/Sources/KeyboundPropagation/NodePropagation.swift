import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Keybound
import KeyboundHummingbird
import KeyboundValidation

/// Key revocation across nodes: each key is revoked on node A (its admin API), and the validators
/// follow node B's key-events, so a sample is the time from A's answer to a validator having the
/// revocation that reached B through the database (PostgreSQL `LISTEN/NOTIFY` when B's poll is
/// set to an hour, as `load/revocation-nodes.sh` does).
///
/// Node A's admin token comes from `KEYBOUND_ADMIN_TOKEN` and a confidential client's credentials
/// (`id:secret`, for a token of each key before it is revoked) from `KEYBOUND_BENCH_CLIENT`: never
/// from the command line.
enum NodePropagation {
    /// Where the nodes are.
    struct Nodes: Sendable {
        /// Node A's base URL (`http://127.0.0.1:PORT`): the admin API and the token endpoint.
        let revokeAt: String
        /// The issuer's id, and its URL as both nodes publish it (served by node B).
        let issuerID: String
        let issuerURL: String
        let adminToken: String
        let clientID: String
        let clientSecret: String
        /// The audience the client's tokens carry.
        let audience: String

        /// The nodes `options` name, with the secrets from `environment`.
        static func from(_ options: PropagationOptions, environment: [String: String]) throws -> Nodes? {
            guard let revokeAt = options.revokeAt else { return nil }
            guard let issuerURL = options.issuerURL, let issuerID = issuerURL.split(separator: "/").last.map(String.init) else {
                throw PropagationError("--revoke-at needs --issuer URL (the issuer as node B serves it)")
            }
            guard let adminToken = environment["KEYBOUND_ADMIN_TOKEN"], !adminToken.isEmpty else {
                throw PropagationError("--revoke-at needs node A's admin token in KEYBOUND_ADMIN_TOKEN")
            }
            guard let client = environment["KEYBOUND_BENCH_CLIENT"], let colon = client.firstIndex(of: ":") else {
                throw PropagationError("--revoke-at needs a confidential client's id:secret in KEYBOUND_BENCH_CLIENT")
            }
            return Nodes(revokeAt: revokeAt, issuerID: issuerID, issuerURL: issuerURL, adminToken: adminToken,
                         clientID: String(client[..<colon]), clientSecret: String(client[client.index(after: colon)...]),
                         audience: options.audience)
        }
    }

    static func measure(_ nodes: Nodes, _ options: PropagationOptions) async throws -> PropagationReport {
        let issuer = nodes.issuerURL
        let policy = try VerificationPolicy(audience: nodes.audience)
        let validators = try (0..<options.subscribers).map { _ in try Validator(issuer: issuer) }
        let tasks = validators.map { validator in Task { await validator.subscriber.run() } }
        defer { for task in tasks { task.cancel() } }
        print("connecting \(options.subscribers) subscribers to \(issuer)/key-events; revoking at \(nodes.revokeAt)…")
        let ready = ContinuousClock.now + .seconds(30)
        while !validators.allSatisfy({ $0.subscriber.isConnected && $0.store.isLoaded(issuer) }) {
            guard ContinuousClock.now < ready else {
                throw PropagationError("subscribers not connected after 30 s: \(validators.compactMap { $0.subscriber.lastError(of: issuer) })")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        print("revoking \(options.revocations) keys one after the other…")
        var samples: [Double] = [], callDurations: [Double] = []
        var missed = 0
        var verdicts: [String: Int] = [:]
        for round in 0..<options.revocations {
            try await Task.sleep(for: options.maximumPause * Double.random(in: 0..<1))
            let token = try await accessToken(nodes)
            let keyID = try keyID(of: token)
            let known = ContinuousClock.now + options.timeout
            while ContinuousClock.now < known, !validators.allSatisfy({ $0.store.trustStore().issuer(issuer)?.key(withID: keyID) != nil }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            let calling = ContinuousClock.now
            try await revoke(nodes, keyID: keyID)
            let revoked = ContinuousClock.now
            callDurations.append(KeyboundPropagation.milliseconds(revoked - calling))
            let deadline = revoked + options.timeout
            while ContinuousClock.now < deadline, !validators.allSatisfy({ $0.applied(keyID) != nil }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            for validator in validators {
                guard let applied = validator.applied(keyID) else {
                    missed += 1
                    continue
                }
                samples.append(KeyboundPropagation.milliseconds(applied - revoked))
                let verdict = TokenVerifier(trust: validator.store.trustStore(), policy: policy).verify(token)
                verdicts[verdict.rejection?.code.rawValue ?? "verified", default: 0] += 1
            }
            if (round + 1) % 50 == 0 { print("  \(round + 1) revocations") }
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        return PropagationReport(kind: "keys-across-nodes", expectedVerdict: "key_revoked", subscribers: options.subscribers,
                                 revocations: options.revocations, samples: samples, missed: missed, revokeCalls: callDurations,
                                 verdicts: verdicts)
    }

    /// A client_credentials access token from node A.
    static func accessToken(_ nodes: Nodes) async throws -> String {
        let form = "grant_type=client_credentials&scope=" + (nodes.audience + "/.default").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let basic = Data("\(nodes.clientID):\(nodes.clientSecret)".utf8).base64EncodedString()
        let (status, body) = try await post(nodes.revokeAt + "/" + nodes.issuerID + "/token", body: Data(form.utf8),
                                            headers: ["Authorization": "Basic \(basic)", "Content-Type": "application/x-www-form-urlencoded"])
        guard status == 200, let object = try JSONSerialization.jsonObject(with: body) as? [String: Any],
              let token = object["access_token"] as? String else {
            throw PropagationError("node A's token endpoint answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return token
    }

    /// Revokes `keyID` through node A's admin API.
    static func revoke(_ nodes: Nodes, keyID: String) async throws {
        let path = "/admin/issuers/\(nodes.issuerID)/keys/\(keyID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? keyID)/revoke"
        let (status, body) = try await post(nodes.revokeAt + path, body: Data(#"{"reason":"propagation benchmark"}"#.utf8),
                                            headers: ["Authorization": "Bearer \(nodes.adminToken)", "Content-Type": "application/json"])
        guard status == 200 else {
            throw PropagationError("node A refused the revocation of \(keyID): \(status) \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
    }

    /// The `kid` of a compact JWS's protected header.
    static func keyID(of token: String) throws -> String {
        guard let header = token.split(separator: ".").first else { throw PropagationError("not a compact token") }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let kid = object["kid"] as? String else { throw PropagationError("the token's header has no kid") }
        return kid
    }

    private static func post(_ url: String, body: Data, headers: [String: String]) async throws -> (Int, Data) {
        guard let target = URL(string: url) else { throw PropagationError("not a URL: \(url)") }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
