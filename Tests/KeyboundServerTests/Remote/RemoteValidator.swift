import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Synchronization

/// The notices a token-event subscriber reported, in order.
final class TokenNoticeLog: Sendable {
    private let notices = Mutex<[TokenEventNotice]>([])
    func record(_ notice: TokenEventNotice) { notices.withLock { $0.append(notice) } }
    var all: [TokenEventNotice] { notices.withLock { $0 } }
}

/// A validator as `keybound mail serve` builds one: a remote trust store, a cache, the revocation
/// list in its policy.
struct RemoteValidator {
    let store: RemoteTrustStore
    let cache = VerifiedTokenCache()
    let revoked = RevokedTokens()
    let verifier: CachingTokenVerifier

    init(issuer: String) throws {
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: issuer)]), cache: cache)
        self.store = store
        let policy = try VerificationPolicy(audience: "api://mail", additionalChecks: [RevokedTokenCheck(revoked)])
        verifier = CachingTokenVerifier(cache: cache) { TokenVerifier(trust: store.trustStore(), policy: policy) }
    }
}
