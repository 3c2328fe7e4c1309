import KeyboundStore
import Metrics
import Synchronization

/// Identity-provider metrics: tokens issued, token endpoint errors, ledger group commits, key
/// events and sign-in attempts, recorded into `KeyboundMetrics.registry`.
///
/// Label cardinality is bounded: every label is mapped onto a fixed set before it is recorded.
/// Issuer ids must have the issuer id form (`[a-z0-9-]`, 1–64 characters) and at most
/// `maximumIssuerLabels` distinct ones are kept; grants, token kinds, error codes and key event
/// kinds must be known values. Anything else is recorded as `_other` (which no valid value can
/// equal). Never pass subjects, client ids, token ids or free text.
public enum ProviderMetrics {
    /// Counter: tokens issued, by issuer, grant and kind.
    public static let tokensIssuedName = "keybound_tokens_issued_total"
    /// Counter: token requests answered with an OAuth error, by issuer and error code.
    public static let tokenErrorsName = "keybound_token_errors_total"
    /// Histogram: requests per issuance-ledger group commit.
    public static let ledgerBatchSizeName = "keybound_ledger_batch_size"
    /// Histogram (seconds): duration of one issuance-ledger commit.
    public static let ledgerCommitSecondsName = "keybound_ledger_commit_seconds"
    /// Counter: key lifecycle events, by issuer and kind.
    public static let keyEventsName = "keybound_key_events_total"
    /// Counter: sign-in posts, by issuer and outcome (`succeeded`, `failed`, `throttled_account`,
    /// `throttled_address`, `shed`, `csrf_refused`). `succeeded` and `failed` are the posts whose
    /// password was hashed.
    public static let signInAttemptsName = "keybound_signin_attempts_total"

    /// The label value for anything outside a label's fixed set.
    public static let otherLabel = "_other"
    /// The most distinct issuer label values kept; later new issuers are recorded as `_other`.
    public static let maximumIssuerLabels = 1_000

    /// The RFC 6749 (§4.1.2.1, §5.2), RFC 6750, RFC 8628, RFC 8693 and RFC 9449 error codes a
    /// token request can end with.
    public static let knownErrorCodes: Set<String> = [
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
        "invalid_scope", "access_denied", "unsupported_response_type", "server_error", "temporarily_unavailable",
        "invalid_token", "insufficient_scope", "authorization_pending", "slow_down", "expired_token",
        "invalid_target", "invalid_dpop_proof", "use_dpop_nonce",
    ]

    // MARK: Recording

    /// One token issued by `issuer` (an issuer id) under `grant` (a grant type from
    /// `ClientRecord.supportedGrantTypes`) of `kind` (`access`, `id` or `refresh`).
    public static func tokenIssued(issuer: String, grant: String, kind: String) {
        let grantLabel = ClientRecord.supportedGrantTypes.contains(grant) ? grant : otherLabel
        let kindLabel = IssuanceRecord.TokenKind(rawValue: kind) != nil ? kind : otherLabel
        counter(.tokensIssued, issuer: issuer, grantLabel, kindLabel).increment()
    }

    /// One token issued, with the kind as the ledger's enum.
    public static func tokenIssued(issuer: String, grant: String, kind: IssuanceRecord.TokenKind) {
        tokenIssued(issuer: issuer, grant: grant, kind: kind.rawValue)
    }

    /// One token request by `issuer` (an issuer id) answered with the OAuth error code `error`.
    public static func tokenRequestFailed(issuer: String, error: String) {
        let errorLabel = knownErrorCodes.contains(error) ? error : otherLabel
        counter(.tokenErrors, issuer: issuer, errorLabel).increment()
    }

    /// One issuance-ledger group commit of `size` requests that took `seconds`.
    public static func ledgerBatch(size: Int, seconds: Double) {
        ledgerBatchSize.record(max(0, size))
        if seconds.isFinite {
            ledgerCommitSeconds.recordSeconds(max(0, seconds))
        }
    }

    /// One key lifecycle event of `kind` (a `KeyEvent.Kind` raw value: `created`, `activated`,
    /// `verify-only`, `retired`, `revoked`, `resealed`) for `issuer` (an issuer id).
    public static func keyEvent(issuer: String, kind: String) {
        let kindLabel = KeyEvent.Kind(rawValue: kind) != nil ? kind : otherLabel
        counter(.keyEvents, issuer: issuer, kindLabel).increment()
    }

    /// One key lifecycle event, with the kind as the store's enum.
    public static func keyEvent(issuer: String, kind: KeyEvent.Kind) {
        keyEvent(issuer: issuer, kind: kind.rawValue)
    }

    /// One sign-in post at `issuer` (an issuer id) that ended as `outcome`.
    static func signIn(issuer: String, outcome: SignInOutcome) {
        counter(.signInAttempts, issuer: issuer, outcome.rawValue).increment()
    }

    // MARK: Storage

    private static let ledgerBatchSize = Recorder(label: ledgerBatchSizeName, aggregate: true, factory: KeyboundMetrics.factory)
    private static let ledgerCommitSeconds = Timer(label: ledgerCommitSecondsName, preferredDisplayUnit: .seconds,
                                                   factory: KeyboundMetrics.factory)

    private enum Family: Sendable {
        case tokensIssued, tokenErrors, keyEvents, signInAttempts

        var name: String {
            switch self {
            case .tokensIssued: tokensIssuedName
            case .tokenErrors: tokenErrorsName
            case .keyEvents: keyEventsName
            case .signInAttempts: signInAttemptsName
            }
        }

        /// Dimension names after `issuer`.
        var otherDimensions: [String] {
            switch self {
            case .tokensIssued: ["grant", "kind"]
            case .tokenErrors: ["error"]
            case .keyEvents: ["kind"]
            case .signInAttempts: ["outcome"]
            }
        }
    }

    /// A cached counter's identity: family and already-bounded label values.
    private struct Key: Hashable, Sendable {
        var family: Family
        var issuer: String
        var first: String
        var second: String
    }

    private struct State: ~Copyable {
        var counters: [Key: Counter] = [:]
        var issuers: Set<String> = []
    }

    private static let state = Mutex(State())

    /// Whether `issuer` has the form of an issuer id (`[a-z0-9-]`, 1–64 characters).
    static func isIssuerID(_ issuer: String) -> Bool {
        let utf8 = issuer.utf8
        return !utf8.isEmpty && utf8.count <= 64
            && utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// The cached counter for `family` with `issuer` and the (already bounded) other label values,
    /// created on first use. Creating a swift-metrics `Counter` goes through the registry's lock,
    /// label validation and several allocations; the cache is a single dictionary lookup.
    private static func counter(_ family: Family, issuer: String, _ first: String, _ second: String = "") -> Counter {
        let validIssuer = isIssuerID(issuer)
        return state.withLock { state -> Counter in
            var issuerLabel = otherLabel
            if validIssuer {
                if state.issuers.contains(issuer) {
                    issuerLabel = issuer
                } else if state.issuers.count < maximumIssuerLabels {
                    state.issuers.insert(issuer)
                    issuerLabel = issuer
                }
            }
            let key = Key(family: family, issuer: issuerLabel, first: first, second: second)
            if let counter = state.counters[key] {
                return counter
            }
            // zip stops at the family's dimension count, dropping the unused `second`.
            let dimensions = [("issuer", issuerLabel)] + Array(zip(family.otherDimensions, [first, second]))
            let counter = Counter(label: family.name, dimensions: dimensions, factory: KeyboundMetrics.factory)
            state.counters[key] = counter
            return counter
        }
    }
}
