import Foundation
import Keybound
import Synchronization

/// The console's sign-ins in progress and its sessions, in this process's memory, bounded.
///
/// A browser holds only a random cookie value; the store keys everything by the value's SHA-256,
/// so no cookie value is kept. A session lasts at most ``ConsoleSessionPolicy/absoluteLifetime``
/// from its sign-in, and ends after ``ConsoleSessionPolicy/idleLifetime`` without a request;
/// sign-out ends it at once. A sign-in in progress lasts ``ConsoleSessionPolicy/signInLifetime``.
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
        var pending: [String: PendingSignIn] = [:]
        var sessions: [String: Session] = [:]
    }

    private let state = Mutex(State())
    let policy: ConsoleSessionPolicy

    init(policy: ConsoleSessionPolicy = ConsoleSessionPolicy()) {
        self.policy = policy
    }

    // MARK: Sign-ins in progress

    /// Records `signIn` under a new cookie value, which it returns. The oldest sign-in in
    /// progress gives way when there are ``ConsoleSessionPolicy/maximumPendingSignIns``.
    func start(_ signIn: PendingSignIn) -> String {
        let cookie = Secrets.random256()
        state.withLock { state in
            state.pending = state.pending.filter { signIn.startedAt.timeIntervalSince($0.value.startedAt) < policy.signInLifetime }
            if state.pending.count >= policy.maximumPendingSignIns,
               let oldest = state.pending.min(by: { $0.value.startedAt < $1.value.startedAt })?.key {
                state.pending[oldest] = nil
            }
            state.pending[Self.key(cookie)] = signIn
        }
        return cookie
    }

    /// The sign-in of `cookie`, taken out (a sign-in completes once), if it has not expired.
    func finish(_ cookie: String, now: Date) -> PendingSignIn? {
        state.withLock { state in
            guard let signIn = state.pending.removeValue(forKey: Self.key(cookie)) else { return nil }
            return now.timeIntervalSince(signIn.startedAt) < policy.signInLifetime ? signIn : nil
        }
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
    /// Sign-ins in progress held at once; the oldest gives way.
    var maximumPendingSignIns = 1_000
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
