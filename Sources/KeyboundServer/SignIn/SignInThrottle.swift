import Crypto
import Foundation
import Keybound
import Synchronization

/// Throttles sign-in attempts per account, that is (issuer, username) compared by exact bytes, and
/// per client address, each under its own ``BackoffPolicy``. Checked before any password is
/// hashed: a throttled attempt costs no bcrypt.
final class SignInThrottle: Sendable {
    /// An account: the issuer and the username, by exact bytes. The username is kept as a SHA-256
    /// digest, so a long username costs no more memory than a short one.
    struct Account: Hashable, Sendable {
        let issuer: ExactString
        let username: SHA256.Digest

        init(issuer: String, username: String) {
            self.issuer = ExactString(issuer)
            self.username = SHA256.hash(data: Array(username.utf8))
        }
    }

    /// A client address as throttled: an IPv4 address, or the /64 an IPv6 address is in (one
    /// subscriber's usual allocation, so cycling through it gains nothing).
    struct Address: Hashable, Sendable {
        let bytes: [UInt8]

        init(_ address: IPAddress) {
            bytes = address.isIPv4 ? address.bytes : address.masked(to: 64)
        }
    }

    /// Which limit refused an attempt.
    enum Scope: String, Sendable {
        case account, address
    }

    /// An attempt let through, to be finished with its outcome.
    struct Ticket: Sendable {
        let account: Account
        let address: Address?
    }

    /// The verdict on an attempt.
    enum Decision: Sendable {
        case admitted(Ticket)
        case throttled(retryAfter: Int, scope: Scope)
    }

    private struct Tables: Sendable {
        var accounts: BackoffTable<Account>
        var addresses: BackoffTable<Address>
    }

    private let tables: Mutex<Tables>

    /// A throttle with the given policies (by default ``BackoffPolicy/account`` and ``BackoffPolicy/address``).
    init(account: BackoffPolicy = .account, address: BackoffPolicy = .address) {
        tables = Mutex(Tables(accounts: BackoffTable(policy: account), addresses: BackoffTable(policy: address)))
    }

    /// Lets the attempt through, counting it as in flight, or says how long to wait. The address is
    /// checked first; with no address (no socket) only the account is.
    func admit(issuer: String, username: String, address: IPAddress?, now: Date) -> Decision {
        let account = Account(issuer: issuer, username: username)
        let addressKey = address.map(Address.init)
        return tables.withLock { tables in
            if let addressKey, case .wait(let seconds) = tables.addresses.verdict(for: addressKey, now: now) {
                return .throttled(retryAfter: seconds, scope: .address)
            }
            if case .wait(let seconds) = tables.accounts.verdict(for: account, now: now) {
                return .throttled(retryAfter: seconds, scope: .account)
            }
            tables.accounts.begin(account, now: now)
            if let addressKey { tables.addresses.begin(addressKey, now: now) }
            return .admitted(Ticket(account: account, address: addressKey))
        }
    }

    /// Records how an admitted attempt ended: `failed` true for a wrong password or unknown user,
    /// false for a success, `nil` when the password was never checked (shed).
    func finish(_ ticket: Ticket, failed: Bool?, now: Date) {
        tables.withLock { tables in
            tables.accounts.finish(ticket.account, failed: failed, now: now)
            if let address = ticket.address { tables.addresses.finish(address, failed: failed, now: now) }
        }
    }

    /// How many accounts and addresses are remembered.
    var counts: (accounts: Int, addresses: Int) {
        tables.withLock { ($0.accounts.count, $0.addresses.count) }
    }
}
