import Foundation
import Synchronization

/// `KeyboundSignInLoad drive`: three phases against one running server, each `--seconds` long,
/// with client-credentials requests on `--token-connections` connections and `/health` probed on
/// one more connection every 5 ms:
///
/// 1. before: no flood;
/// 2. flood: wrong-password sign-ins from `--flood-addresses` loopback addresses (127.0.0.2, …),
///    `--flood-connections-per-address` connections each, at `--flood-rate` posts per second in all,
///    each post with a valid CSRF pair (every connection first fetches the login page) and a
///    username from `--usernames` (half of them existing users, half unknown); measured after
///    `--settle` seconds, while the flood goes on;
/// 3. after: the flood stopped and drained, `--settle` seconds later.
///
/// The throughput ratio is flood ÷ the mean of before and after.
final class SignInLoadDriver: Sendable {
    let options: SignInLoadOptions

    init(options: SignInLoadOptions) {
        self.options = options
    }

    /// What one phase measured.
    struct Phase: Sendable {
        var tokenRequests = 0
        var tokenErrors = 0
        var seconds = 0.0
        var healthLatencies: [Double] = []
        var healthErrors = 0

        var tokenRate: Double { Double(tokenRequests) / seconds }

        func healthPercentile(_ fraction: Double) -> Double {
            guard !healthLatencies.isEmpty else { return .nan }
            let sorted = healthLatencies.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }
    }

    /// Flags shared with the load threads.
    final class Flags: Sendable {
        let stop = Atomic<Bool>(false)
        let measuring = Atomic<Bool>(false)
    }

    /// One phase's results, filled in by the load threads.
    final class PhaseResults: Sendable {
        let phase = Mutex<Phase>(Phase())
    }

    /// Flood responses by status, in all and within the measured window.
    final class FloodTally: Sendable {
        let total = Mutex<[Int: Int]>([:])
        let window = Mutex<[Int: Int]>([:])
        let failures = Mutex<[String]>([])
    }

    var tokenRequest: [UInt8] {
        let basic = Data("\(options.clientID):\(options.clientSecret)".utf8).base64EncodedString()
        return LoadRequest.postForm("/contoso/token", body: "grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default",
                                    headers: [("Authorization", "Basic \(basic)")])
    }

    var usernames: [String] {
        (0..<options.usernames).map { $0 % 2 == 0 ? "known-\($0 / 2)" : "unknown-\($0 / 2)" }
    }

    func run() throws {
        try preflight()
        let before = measure()
        let flags = Flags()
        let tally = FloodTally()
        let flood = startFlood(flags: flags, tally: tally)
        Thread.sleep(forTimeInterval: options.settle)
        flags.measuring.store(true, ordering: .sequentiallyConsistent)
        let during = measure()
        flags.measuring.store(false, ordering: .sequentiallyConsistent)
        flags.stop.store(true, ordering: .sequentiallyConsistent)
        flood.wait()
        Thread.sleep(forTimeInterval: options.settle)
        let after = measure()
        let server = try serverCounts()
        let report = SignInLoadReport(options: options, before: before, during: during, after: after,
                                      floodTotal: tally.total.withLock { $0 }, floodWindow: tally.window.withLock { $0 },
                                      floodFailures: tally.failures.withLock { $0 }, server: server)
        report.print()
        if let path = options.json { try report.json().write(to: URL(fileURLWithPath: path)) }
    }

    /// The token endpoint, the login page and a bound source address must work, or the figures mean nothing.
    private func preflight() throws {
        let token = try LoadConnection(port: options.port).send(tokenRequest)
        guard token.status == 200 else { throw LoadConnection.Failure(description: "the token endpoint answered \(token.status)") }
        let connection = LoadConnection(port: options.port, source: "127.0.0.2")
        let form = try loginForm(connection, state: "preflight")
        let post = try connection.send(signInPost(form, username: "preflight", password: "wrong"))
        guard post.status == 401 else { throw LoadConnection.Failure(description: "a wrong-password sign-in answered \(post.status), not 401") }
    }

    /// The login page's hidden fields and CSRF cookie, for a request with `state`.
    private func loginForm(_ connection: LoadConnection, state: String) throws -> (fields: [(String, String)], cookie: String) {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        let query = LoadRequest.form([("response_type", "code"), ("client_id", options.publicClientID), ("redirect_uri", options.redirectURI),
                                      ("scope", "openid"), ("state", state), ("code_challenge", challenge), ("code_challenge_method", "S256")])
        let page = try connection.send(LoadRequest.get("/contoso/authorize?\(query)"))
        guard page.status == 200, let setCookie = page.header("set-cookie") else {
            throw LoadConnection.Failure(description: "the login page answered \(page.status)")
        }
        let cookie = String(setCookie.split(separator: ";")[0])
        var fields: [(String, String)] = []
        for line in String(decoding: page.body, as: UTF8.self).split(separator: "\n") where line.hasPrefix("<input type=\"hidden\"") {
            let parts = line.split(separator: "\"")
            if parts.count >= 6 { fields.append((String(parts[3]), String(parts[5]).replacingOccurrences(of: "&amp;", with: "&"))) }
        }
        guard fields.contains(where: { $0.0 == "csrf_token" }) else { throw LoadConnection.Failure(description: "no csrf_token in the login page") }
        return (fields, cookie)
    }

    private func signInPost(_ form: (fields: [(String, String)], cookie: String), username: String, password: String) -> [UInt8] {
        LoadRequest.postForm("/contoso/authorize", body: LoadRequest.form(form.fields + [("username", username), ("password", password)]),
                             headers: [("Cookie", form.cookie)])
    }

    /// One phase: token connections and the health probe for `options.seconds`.
    private func measure() -> Phase {
        let stop = Flags()
        let results = PhaseResults()
        let group = DispatchGroup()
        let request = tokenRequest
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<options.tokenConnections {
            group.enter()
            Thread { [options] in
                let connection = LoadConnection(port: options.port)
                var done = 0, errors = 0
                while !stop.stop.load(ordering: .relaxed) {
                    if let response = try? connection.send(request), response.status == 200 { done += 1 } else { errors += 1 }
                }
                results.phase.withLock { $0.tokenRequests += done; $0.tokenErrors += errors }
                group.leave()
            }.start()
        }
        group.enter()
        Thread { [options] in
            let connection = LoadConnection(port: options.port)
            let health = LoadRequest.get("/health")
            var latencies: [Double] = [], errors = 0
            while !stop.stop.load(ordering: .relaxed) {
                let begin = DispatchTime.now().uptimeNanoseconds
                let ok = (try? connection.send(health))?.status == 200
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
                if ok { latencies.append(seconds) } else { errors += 1 }
                Thread.sleep(forTimeInterval: options.healthInterval)
            }
            results.phase.withLock { $0.healthLatencies = latencies; $0.healthErrors = errors }
            group.leave()
        }.start()
        Thread.sleep(forTimeInterval: options.seconds)
        stop.stop.store(true, ordering: .sequentiallyConsistent)
        let stopped = DispatchTime.now().uptimeNanoseconds
        group.wait()
        var phase = results.phase.withLock { $0 }
        phase.seconds = Double(stopped - start) / 1e9
        return phase
    }

    /// Starts the flood threads; the group is left when they have all stopped (after `flags.stop`).
    private func startFlood(flags: Flags, tally: FloodTally) -> DispatchGroup {
        let group = DispatchGroup()
        let connections = options.floodAddresses * options.floodConnectionsPerAddress
        let interval = Double(connections) / options.floodRate
        let names = usernames
        for index in 0..<connections {
            let address = "127.0.0.\(2 + index % options.floodAddresses)"
            group.enter()
            Thread { [self] in
                defer { group.leave() }
                let connection = LoadConnection(port: options.port, source: address)
                let form: (fields: [(String, String)], cookie: String)
                do { form = try loginForm(connection, state: "flood-\(index)") } catch {
                    tally.failures.withLock { $0.append("\(address): \(error)") }
                    return
                }
                var next = DispatchTime.now().uptimeNanoseconds
                var attempt = index
                while !flags.stop.load(ordering: .relaxed) {
                    let username = names[attempt % names.count]
                    attempt += 1
                    let status: Int
                    do {
                        status = try connection.send(signInPost(form, username: username, password: "wrong-\(attempt)")).status
                    } catch {
                        status = 0
                    }
                    let measuring = flags.measuring.load(ordering: .relaxed)
                    tally.total.withLock { $0[status, default: 0] += 1 }
                    if measuring { tally.window.withLock { $0[status, default: 0] += 1 } }
                    next += UInt64(interval * 1e9)
                    let now = DispatchTime.now().uptimeNanoseconds
                    if next > now {
                        Thread.sleep(forTimeInterval: Double(next - now) / 1e9)
                    } else if now - next > UInt64(interval * 1e9) {
                        next = now  // behind: do not burst to catch up
                    }
                }
            }.start()
        }
        return group
    }

    /// `keybound_signin_attempts_total{issuer="contoso",outcome=…}` from `/metrics`.
    private func serverCounts() throws -> [String: Int] {
        let response = try LoadConnection(port: options.port).send(LoadRequest.get("/metrics"))
        var counts: [String: Int] = [:]
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("keybound_signin_attempts_total{") && line.contains("issuer=\"contoso\"") {
            guard let start = line.range(of: "outcome=\""), let end = line[start.upperBound...].firstIndex(of: "\"") else { continue }
            let outcome = String(line[start.upperBound..<end])
            counts[outcome] = line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) } ?? 0
        }
        return counts
    }
}
