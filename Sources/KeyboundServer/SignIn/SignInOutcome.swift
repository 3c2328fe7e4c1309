/// How a sign-in post ended, as counted in `keybound_signin_attempts_total{outcome}`.
enum SignInOutcome: String, CaseIterable, Sendable {
    /// The password was checked and matched.
    case succeeded
    /// The password was checked and did not match, or the user is unknown or disabled.
    case failed
    /// 429: the account had too many recent failures (no password checked).
    case throttledAccount = "throttled_account"
    /// 429: the client address had too many recent failures (no password checked).
    case throttledAddress = "throttled_address"
    /// 503: the hashing pool was full (no password checked).
    case shed
    /// 403: the CSRF token did not fit (no password checked).
    case csrfRefused = "csrf_refused"
}
