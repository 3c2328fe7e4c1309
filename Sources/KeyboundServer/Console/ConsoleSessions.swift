import Crypto
import Foundation
import Keybound
import Synchronization

/// The console's sign-ins in progress and its sessions.
///
/// **Sessions** live in this process's memory, bounded. A browser holds only a random cookie
/// value; the store keys each session by the value's SHA-256, so no cookie value is kept. A
/// session lasts at most ``ConsoleSessionPolicy/absoluteLifetime`` from its sign-in, and ends
/// after ``ConsoleSessionPolicy/idleLifetime`` without a request; sign-out ends it at once.
///
/// **A sign-in in progress** is held by the browser, not here: its cookie is the sign-in sealed
/// with AES-GCM under a key this process draws at start-up, so an anonymous flood of sign-in starts
/// holds no memory and can push no one's sign-in out. It lasts
/// ``ConsoleSessionPolicy/signInLifetime`` and completes once: a completed cookie's hash is kept
/// until its lifetime is over.
///
/// Sessions are per node: on many nodes, the console's listener needs sticky routing (a session
/// on another node is simply not found, and the user signs in again).
final class ConsoleSessions: Sendable {
    /// A sign-in the console started: what it sent to the authorization endpoint, to check the
    /// answer against.
    struct PendingSignIn: Sendable {
        let issuerID: String
        let state: String
        let codeVerifier: String
        let nonce: String
        /// Where to go once signed in (a console path).
        let returnTo: String
        let startedAt: Date
    }

    /// A signed-in console user.
    struct Session: Sendable {
        let issuerID: String
        let subject: String
        let username: String
        /// When the user last typed their password (the ID token's `auth_time`).
        let authTime: Date
        let createdAt: Date
        var lastSeen: Date
        var accessToken: String
        var accessExpiresAt: Date
        var refreshToken: String?
        /// The value every state-changing form of this session carries.
        let csrfToken: String
    }

    private struct State {
        /// The hashes of completed sign-in cookies, with when each was started.
        var completed: [String: Date] = [:]
        var sessions: [String: Session] = [:]
    }

    private let state = Mutex(State())
    /// Seals the sign-ins in progress; drawn for this process (a restart asks a browser that was
    /// signing in to start again).
    private let signInKey = SymmetricKey(size: .bits256)
    let policy: ConsoleSessionPolicy

    init(policy: ConsoleSessionPolicy = ConsoleSessionPolicy()) {
        self.policy = policy
    }

    // MARK: Sign-ins in progress

    /// The additional data of every sealed sign-in, so that no other sealed value of this
    /// process can pass for one.
    private static let signInContext = Array("keybound console sign-in v1".utf8)
    /// The longest sign-in cookie opened (a sealed sign-in is a few hundred bytes).
    static let maximumSignInCookie = 2_048

    /// `signIn` sealed into a cookie value.
    func start(_ signIn: PendingSignIn) -> String {
        let plain = JSONWriter().string(.object(JSONObject([
            "issuer": .string(signIn.issuerID), "state": .string(signIn.state), "verifier": .string(signIn.codeVerifier),
            "nonce": .string(signIn.nonce), "return_to": .string(signIn.returnTo), "started": .number(signIn.startedAt.timeIntervalSince1970),
        ])))
        // AES-GCM with a fresh random nonce does not fail for a key of the right size.
        let sealed = try? AES.GCM.seal(Array(plain.utf8), using: signInKey, authenticating: Self.signInContext).combined
        return Base64URL.encode(sealed.map { Array($0) } ?? [])
    }

    /// The sign-in sealed in `cookie`, if this process sealed it, it has not expired, and it has not
    /// completed before; it is then marked completed.
    func finish(_ cookie: String, now: Date) -> PendingSignIn? {
        guard cookie.utf8.count <= Self.maximumSignInCookie, let bytes = Base64URL.decode(cookie),
              let box = try? AES.GCM.SealedBox(combined: bytes),
              let plain = try? AES.GCM.open(box, using: signInKey, authenticating: Self.signInContext),
              let object = try? StrictJSONParser.parseObject(Array(plain)),
              let issuerID = object["issuer"]?.stringValue, let signInState = object["state"]?.stringValue,
              let verifier = object["verifier"]?.stringValue, let nonce = object["nonce"]?.stringValue,
              let returnTo = object["return_to"]?.stringValue, let started = object["started"]?.numberValue else { return nil }
        let startedAt = Date(timeIntervalSince1970: started)
        guard now.timeIntervalSince(startedAt) < policy.signInLifetime else { return nil }
        let firstTime: Bool = state.withLock { state in
            let key = Self.key(cookie)
            guard state.completed[key] == nil else { return false }
            if state.completed.count >= policy.maximumCompletedSignIns {
                state.completed = state.completed.filter { now.timeIntervalSince($0.value) < policy.signInLifetime }
                if state.completed.count >= policy.maximumCompletedSignIns, let oldest = state.completed.min(by: { $0.value < $1.value })?.key {
                    state.completed[oldest] = nil
                }
            }
            state.completed[key] = startedAt
            return true
        }
        guard firstTime else { return nil }
        return PendingSignIn(issuerID: issuerID, state: signInState, codeVerifier: verifier, nonce: nonce, returnTo: returnTo, startedAt: startedAt)
    }

    // MARK: Sessions

    /// Stores `session` under a new cookie value, which it returns; `nil` when the console already
    /// holds ``ConsoleSessionPolicy/maximumSessions`` live sessions.
    func create(_ session: Session) -> String? {
        let cookie = Secrets.random256()
        let stored: Bool = state.withLock { state in
            let now = session.createdAt
            state.sessions = state.sessions.filter { policy.isLive($0.value, now: now) }
            guard state.sessions.count < policy.maximumSessions else { return false }
            state.sessions[Self.key(cookie)] = session
            return true
        }
        return stored ? cookie : nil
    }

    /// The live session of `cookie`, its last use set to `now`; an expired session is removed.
    func use(_ cookie: String, now: Date) -> Session? {
        state.withLock { state in
            let key = Self.key(cookie)
            guard var session = state.sessions[key] else { return nil }
            guard policy.isLive(session, now: now) else {
                state.sessions[key] = nil
                return nil
            }
            session.lastSeen = now
            state.sessions[key] = session
            return session
        }
    }

    /// Replaces the tokens of the session of `cookie` (after a refresh), if it is still there.
    func update(_ cookie: String, accessToken: String, accessExpiresAt: Date, refreshToken: String?) {
        state.withLock { state in
            let key = Self.key(cookie)
            guard var session = state.sessions[key] else { return }
            session.accessToken = accessToken
            session.accessExpiresAt = accessExpiresAt
            session.refreshToken = refreshToken
            state.sessions[key] = session
        }
    }

    /// Ends the session of `cookie`; returns it, if there was one.
    @discardableResult
    func end(_ cookie: String) -> Session? {
        state.withLock { state in state.sessions.removeValue(forKey: Self.key(cookie)) }
    }

    /// The number of live sessions (for tests and metrics).
    func count(now: Date) -> Int {
        state.withLock { state in state.sessions.values.count { policy.isLive($0, now: now) } }
    }

    private static func key(_ cookie: String) -> String { Secrets.hexDigest(cookie) }
}

/// How long console sign-ins and sessions last, and how many the console holds.
struct ConsoleSessionPolicy: Sendable {
    /// A session ends this long after its sign-in, whatever happens: 8 hours.
    var absoluteLifetime: TimeInterval = 8 * 3_600
    /// A session ends after this long without a request: 30 minutes.
    var idleLifetime: TimeInterval = 30 * 60
    /// A revocation or an incident needs a password typed within this long: 5 minutes
    /// (the `max_age` of OpenID Connect).
    var freshSignIn: TimeInterval = 300
    /// A sign-in must come back from the authorization endpoint within this long: 10 minutes.
    var signInLifetime: TimeInterval = 600
    /// Completed sign-ins remembered (so that each completes once) until their lifetime is over;
    /// past it, the oldest is forgotten. Its code was redeemed already, so it cannot complete again
    /// anyway: this is a second lock.
    var maximumCompletedSignIns = 10_000
    /// Live sessions held at once; past it, a new sign-in is refused with 503.
    var maximumSessions = 10_000

    /// Whether `session` is within both its lifetimes at `now`.
    func isLive(_ session: ConsoleSessions.Session, now: Date) -> Bool {
        now.timeIntervalSince(session.createdAt) < absoluteLifetime && now.timeIntervalSince(session.lastSeen) < idleLifetime
    }

    /// Whether the user of `session` typed their password within ``freshSignIn`` of `now`.
    func isFresh(_ session: ConsoleSessions.Session, now: Date) -> Bool {
        now.timeIntervalSince(session.authTime) <= freshSignIn
    }
}
