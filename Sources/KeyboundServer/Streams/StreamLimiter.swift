import Keybound
import Synchronization

/// Counts open event streams against ``StreamLimits``: anonymous ones per client address and in
/// total, authenticated ones (server clients) per client and in total, in separate pools so that
/// anonymous streams can never take an authenticated validator's slot.
final class StreamLimiter: Sendable {
    /// Who a stream is for.
    enum Holder: Sendable {
        /// An anonymous stream from this client address (`nil`: unknown).
        case anonymous(address: String?)
        /// A stream of server client `clientID` of issuer `issuerID`.
        case authenticated(issuerID: String, clientID: String)
    }

    private struct State {
        var anonymous = 0
        var anonymousByAddress: [String: Int] = [:]
        var authenticated = 0
        var authenticatedByClient: [ExactString: Int] = [:]
    }

    let limits: StreamLimits
    private let state = Mutex(State())

    init(limits: StreamLimits) {
        self.limits = limits
    }

    /// A slot for `holder`, or `nil` when its cap is reached.
    func admit(_ holder: Holder) -> StreamSlot? {
        let limits = self.limits
        let admitted = state.withLock { state -> Bool in
            switch holder {
            case .anonymous(let address):
                let key = address ?? ""
                let fromAddress = state.anonymousByAddress[key] ?? 0
                guard state.anonymous < limits.anonymousTotal, fromAddress < limits.anonymousPerAddress else { return false }
                state.anonymous += 1
                state.anonymousByAddress[key] = fromAddress + 1
            case .authenticated(let issuerID, let clientID):
                let key = Self.clientKey(issuerID, clientID)
                let ofClient = state.authenticatedByClient[key] ?? 0
                guard state.authenticated < limits.authenticatedTotal, ofClient < limits.authenticatedPerClient else { return false }
                state.authenticated += 1
                state.authenticatedByClient[key] = ofClient + 1
            }
            return true
        }
        guard admitted else { return nil }
        return StreamSlot { [weak self] in self?.release(holder) }
    }

    /// Open streams: (anonymous, authenticated).
    var open: (anonymous: Int, authenticated: Int) { state.withLock { ($0.anonymous, $0.authenticated) } }

    private func release(_ holder: Holder) {
        state.withLock { state in
            switch holder {
            case .anonymous(let address):
                let key = address ?? ""
                state.anonymous -= 1
                let left = (state.anonymousByAddress[key] ?? 1) - 1
                state.anonymousByAddress[key] = left > 0 ? left : nil
            case .authenticated(let issuerID, let clientID):
                let key = Self.clientKey(issuerID, clientID)
                state.authenticated -= 1
                let left = (state.authenticatedByClient[key] ?? 1) - 1
                state.authenticatedByClient[key] = left > 0 ? left : nil
            }
        }
    }

    private static func clientKey(_ issuerID: String, _ clientID: String) -> ExactString {
        ExactString(issuerID + "\u{0}" + clientID)
    }
}

/// One admitted stream's slot: released by ``release()`` or, at the latest, when the stream's
/// response (which holds it) is gone.
final class StreamSlot: Sendable {
    private let onRelease: Mutex<(@Sendable () -> Void)?>

    init(_ onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = Mutex(onRelease)
    }

    /// Releases the slot (idempotent).
    func release() { onRelease.withLock { $0.take() }?() }

    deinit { release() }
}
