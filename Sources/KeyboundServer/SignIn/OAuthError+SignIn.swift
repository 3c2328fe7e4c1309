import Hummingbird

extension OAuthError {
    /// 429 `temporarily_unavailable` with `Retry-After`: too many recent failed sign-ins for the
    /// account or from the client address.
    static func signInThrottled(_ scope: SignInThrottle.Scope, retryAfter: Int) -> OAuthError {
        let what = scope == .account ? "for this account" : "from this address"
        return OAuthError(status: .tooManyRequests, error: "temporarily_unavailable",
                          description: "too many failed sign-ins \(what); try again in \(retryAfter) s",
                          headers: [.retryAfter: "\(retryAfter)"])
    }

    /// 503 `temporarily_unavailable` with `Retry-After`: every password-hashing thread is busy and
    /// the queue is full.
    static func passwordHashingBusy(retryAfter: Int) -> OAuthError {
        OAuthError(status: .serviceUnavailable, error: "temporarily_unavailable",
                   description: "every password-hashing thread is busy; try again in \(retryAfter) s", headers: [.retryAfter: "\(retryAfter)"])
    }
}
