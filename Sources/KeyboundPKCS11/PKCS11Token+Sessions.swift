import CKeyboundPKCS11
import Keybound

/// What a search by `CKA_ID` found: nothing, exactly one object, or several (refused, never
/// guessed between).
enum Lookup<Value: Sendable>: Sendable {
    case missing
    case found(Value)
    case ambiguous(Int)

    func map<Other: Sendable, E: Error>(_ transform: (Value) throws(E) -> Other) throws(E) -> Lookup<Other> {
        switch self {
        case .missing: .missing
        case .found(let value): .found(try transform(value))
        case .ambiguous(let count): .ambiguous(count)
        }
    }

    /// The value, or ``PKCS11ErrorCode/keyNotFound`` naming `what`.
    func get(what: String) throws(PKCS11Error) -> Value {
        switch self {
        case .found(let value): return value
        case .missing: throw PKCS11Error(.keyNotFound, "the token holds no \(what)")
        case .ambiguous(let count): throw PKCS11Error(.failed, "the token holds \(count) objects with the identifier of the \(what); none is used")
        }
    }
}

extension PKCS11Token {
    /// How long no login is tried after the token refused the PIN.
    static let loginBackoff: Duration = .seconds(60)

    /// Runs `body` on a pool thread with a logged-in session and the connection's generation. When
    /// the token has gone away it drops every session and, if `retrying`, reconnects once and tries
    /// again; if that fails too, it throws ``PKCS11ErrorCode/unavailable``.
    func run<T: Sendable>(retrying: Bool = true,
                          _ body: @escaping @Sendable (PKCS11Module, CK_SESSION_HANDLE, Int) throws(PKCS11CallError) -> T) async throws(PKCS11Error) -> T {
        let outcome: Result<T, PKCS11Error>
        do {
            outcome = try await pool.runIfActive { self.runOnPoolThread(attempts: retrying ? 2 : 1, body) }
        } catch {
            throw PKCS11Error(.unavailable, "the PKCS#11 token '\(configuration.tokenLabel)' is closed")
        }
        return try outcome.get()
    }

    private func runOnPoolThread<T>(attempts: Int, _ body: (PKCS11Module, CK_SESSION_HANDLE, Int) throws(PKCS11CallError) -> T) -> Result<T, PKCS11Error> {
        var lastFailure: PKCS11CallError?
        for _ in 0..<attempts {
            let session: CK_SESSION_HANDLE, generation: Int
            switch checkOutSession() {
            case .success(let lease): (session, generation) = lease
            case .failure(let error): return .failure(error)
            }
            do {
                let value = try body(module, session, generation)
                checkIn(session, generation: generation)
                return .success(value)
            } catch where error.isTokenGone {
                lastFailure = error
                disconnect(generation: generation, failedSession: session)
            } catch {
                checkIn(session, generation: generation)
                return .failure(PKCS11Error(.failed, "the PKCS#11 token '\(configuration.tokenLabel)': \(error.description)"))
            }
        }
        return .failure(PKCS11Error(.unavailable, "the PKCS#11 token '\(configuration.tokenLabel)' is not available: \(lastFailure?.description ?? "no session")"))
    }

    /// An idle session, or a new one, logged in. Runs on a pool thread.
    private func checkOutSession() -> Result<(CK_SESSION_HANDLE, Int), PKCS11Error> {
        let (idle, slot, generation, refusedUntil) = state.withLock { connection in
            (connection.idleSessions.popLast(), connection.slot, connection.generation, connection.loginRefusedUntil)
        }
        if let idle { return .success((idle, generation)) }
        if let refusedUntil, ContinuousClock.now < refusedUntil {
            return .failure(PKCS11Error(.login, "the PKCS#11 token '\(configuration.tokenLabel)' refused the PIN; no login is tried again for a minute, so that the token does not lock it"))
        }
        do throws(PKCS11Error) {
            let resolvedSlot: CK_SLOT_ID
            if let slot { resolvedSlot = slot } else { resolvedSlot = try findSlot(reconnecting: generation > 0) }
            let session: CK_SESSION_HANDLE
            do throws(PKCS11CallError) {
                session = try module.openSession(slot: resolvedSlot)
            } catch {
                state.withLock { if $0.generation == generation { $0.slot = nil } }
                throw PKCS11Error(error.isTokenGone || error.value == CK_RV(CKR_SLOT_ID_INVALID) ? .unavailable : .failed,
                                  "the PKCS#11 token '\(configuration.tokenLabel)': \(error.description)")
            }
            var pin = try configuration.readPIN()
            defer { pin.withUnsafeMutableBytes { LockedBytes.wipe($0) } }
            do throws(PKCS11CallError) {
                try module.login(session, pin: &pin)
            } catch {
                module.closeSession(session)
                let refused = [CK_RV(CKR_PIN_INCORRECT), CK_RV(CKR_PIN_LOCKED), CK_RV(CKR_PIN_INVALID), CK_RV(CKR_PIN_LEN_RANGE)].contains(error.value)
                if refused { state.withLock { $0.loginRefusedUntil = ContinuousClock.now.advanced(by: Self.loginBackoff) } }
                throw PKCS11Error(error.isTokenGone ? .unavailable : refused ? .login : .failed,
                                  "cannot log in to the PKCS#11 token '\(configuration.tokenLabel)': \(error.description)")
            }
            state.withLock { if $0.generation == generation { $0.slot = resolvedSlot } }
            return .success((session, generation))
        } catch {
            return .failure(error)
        }
    }

    private func checkIn(_ session: CK_SESSION_HANDLE, generation: Int) {
        let keep = state.withLock { connection in
            guard connection.generation == generation else { return false }
            connection.idleSessions.append(session)
            return true
        }
        if !keep { module.closeSession(session) }
    }

    /// The token went away while `generation` was current: forget its slot, sessions and objects.
    private func disconnect(generation: Int, failedSession: CK_SESSION_HANDLE) {
        let stale = state.withLock { connection -> [CK_SESSION_HANDLE] in
            guard connection.generation == generation else { return [] }
            defer { connection = Connection(generation: generation + 1, loginRefusedUntil: connection.loginRefusedUntil) }
            return connection.idleSessions
        }
        module.closeSession(failedSession)
        stale.forEach(module.closeSession)
    }

    /// The slot whose token carries the configured label.
    private func findSlot(reconnecting: Bool) throws(PKCS11Error) -> CK_SLOT_ID {
        let wanted = Array(configuration.tokenLabel.utf8)
        do throws(PKCS11CallError) {
            for slot in try module.slotsWithTokens() {
                if try module.tokenLabel(slot: slot) == wanted { return slot }
            }
        } catch {
            throw PKCS11Error(error.isTokenGone || reconnecting ? .unavailable : .failed,
                              "cannot list the slots of the PKCS#11 module '\(module.path)': \(error.description)")
        }
        throw PKCS11Error(reconnecting ? .unavailable : .tokenNotFound,
                          "no token labelled '\(configuration.tokenLabel)' in the PKCS#11 module '\(module.path)'")
    }
}
