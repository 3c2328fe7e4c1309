import Foundation
import Keybound
import Logging
import Synchronization

/// Raises security alerts within the request that caused them: a structured `critical` log line,
/// an entry in an in-memory ring (read by the admin API's event stream), and — when configured —
/// a webhook POST (``AlertWebhook``).
///
/// A flood of the same attempt (same code, issuer, key and tenant) raises one alert per
/// ``repeatWindow``; the alerts folded in are counted in the next one's ``SecurityAlert/suppressed``.
public final class AlertCenter: Sendable {
    /// Identical alerts within this many seconds are folded into the next one.
    public let repeatWindow: TimeInterval
    /// How many recent alerts are kept for the event stream.
    public let capacity: Int
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let webhook: Mutex<AlertWebhook?>
    private let onAlert: Mutex<[@Sendable (SecurityAlert) -> Void]>

    private struct State {
        var recent: [SecurityAlert] = []
        var nextSequence: Int64 = 1
        var lastRaised: [String: Date] = [:]
        var folded: [String: Int] = [:]
    }
    private let state = Mutex(State())

    /// An alert center logging to `logger`.
    public init(logger: Logger = Logger(label: "keybound.alerts"), repeatWindow: TimeInterval = 10, capacity: Int = 1_000,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.logger = logger
        self.repeatWindow = repeatWindow
        self.capacity = max(1, capacity)
        self.now = now
        self.webhook = Mutex(nil)
        self.onAlert = Mutex([])
    }

    /// Sends every alert from now on to `webhook` as well (`nil` stops it).
    public func setWebhook(_ webhook: AlertWebhook?) { self.webhook.withLock { $0 = webhook } }

    /// Calls `observer` with every alert raised from now on (tests, metrics).
    public func observe(_ observer: @escaping @Sendable (SecurityAlert) -> Void) { onAlert.withLock { $0.append(observer) } }

    /// Raises an alert for `rejection` if it is one (`TokenRejection/isAlert`); returns it,
    /// or `nil` when the rejection is not an alert or was folded into the next one.
    @discardableResult
    public func raise(_ rejection: TokenRejection, context: AlertContext = AlertContext()) -> SecurityAlert? {
        guard rejection.isAlert else { return nil }
        return record(code: rejection.code.rawValue, summary: rejection.reason, tokenIssuer: rejection.tokenIssuer,
                      keyID: rejection.keyID, keyIssuer: rejection.keyIssuer, context: context)
    }

    /// Raises an operational alert that no token caused, for example `rotation_overdue`: the same
    /// log line, ring, webhook and folding as a token's. `issuer` is the issuer (URL or id) concerned.
    @discardableResult
    public func raise(code: String, summary: String, issuer: String?, keyID: String? = nil) -> SecurityAlert? {
        record(code: code, summary: summary, tokenIssuer: issuer, keyID: keyID, keyIssuer: nil, context: AlertContext())
    }

    private func record(code: String, summary: String, tokenIssuer: String?, keyID: String?, keyIssuer: String?,
                        context: AlertContext) -> SecurityAlert? {
        let time = now()
        let key = [code, tokenIssuer ?? "", keyID ?? "", context.tenant ?? ""].joined(separator: "\u{0}")
        let alert: SecurityAlert? = state.withLock { state in
            if let last = state.lastRaised[key], time.timeIntervalSince(last) < repeatWindow {
                state.folded[key, default: 0] += 1
                return nil
            }
            state.lastRaised[key] = time
            let alert = SecurityAlert(
                sequence: state.nextSequence, time: time, code: code, summary: summary,
                tokenIssuer: tokenIssuer, keyID: keyID, keyIssuer: keyIssuer, tokenID: context.tokenID,
                tenant: context.tenant, mailbox: context.mailbox, clientID: context.clientID, clientIP: context.clientIP,
                suppressed: state.folded.removeValue(forKey: key) ?? 0)
            state.nextSequence += 1
            state.recent.append(alert)
            if state.recent.count > capacity { state.recent.removeFirst(state.recent.count - capacity) }
            if state.lastRaised.count > 10 * capacity { state.lastRaised = state.lastRaised.filter { time.timeIntervalSince($0.value) < repeatWindow } }
            return alert
        }
        guard let alert else { return nil }
        var metadata: Logger.Metadata = ["alert": "\(alert.code)", "sequence": "\(alert.sequence)", "suppressed": "\(alert.suppressed)"]
        for (name, value) in [("iss", alert.tokenIssuer), ("kid", alert.keyID), ("key_issuer", alert.keyIssuer), ("jti", alert.tokenID),
                              ("tenant", alert.tenant), ("mailbox", alert.mailbox), ("client_id", alert.clientID), ("client_ip", alert.clientIP)] {
            if let value { metadata[name] = "\(value)" }
        }
        logger.critical("security alert: \(alert.code): \(alert.summary)", metadata: metadata)
        webhook.withLock { $0 }?.send(alert)
        for observer in onAlert.withLock({ $0 }) { observer(alert) }
        return alert
    }

    /// Alerts raised after `sequence` that are still in the ring, oldest first.
    public func alerts(after sequence: Int64 = 0) -> [SecurityAlert] {
        state.withLock { state in state.recent.filter { $0.sequence > sequence } }
    }

    /// The sequence of the newest alert (0 before the first).
    public var latestSequence: Int64 { state.withLock { $0.nextSequence - 1 } }
}
