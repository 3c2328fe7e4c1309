import Foundation

/// A fast deterministic generator (SplitMix64): the same log for the same record count.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// 64 lowercase hex characters.
    mutating func hex64() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 64)
        for word in 0..<4 {
            var value = next()
            for index in 0..<16 {
                bytes[word * 16 + index] = digits[Int(value & 15)]
                value >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A UUID-shaped lowercase string.
    mutating func uuid() -> String {
        let hex = hex64()
        let characters = Array(hex.utf8)
        func part(_ range: Range<Int>) -> String { String(decoding: characters[range], as: UTF8.self) }
        return "\(part(0..<8))-\(part(8..<12))-4\(part(13..<16))-a\(part(17..<20))-\(part(20..<32))"
    }

    mutating func bytes32() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: next()) { bytes.append(contentsOf: $0) } }
        return bytes
    }
}

/// The population of the generated log: issuers (one consumer realm, many tenants), their
/// applications, users and mailboxes. Every string is built once.
struct HuntBenchWorld {
    struct Issuer {
        let id: String
        let url: String
        let tenantID: String
        var mailboxes: [String]
        var applications: [String]
        var users: [Int]
    }

    struct User {
        let issuer: Int
        let subject: String
        let mailbox: String
        let client: String
    }

    static let tenantCount = 200
    static let mailboxesPerTenant = 50
    static let applicationsPerTenant = 4
    static let usersPerTenant = 15
    static let consumerUsers = 1_000
    static let consumerTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
    static let baseURL = "https://login.keybound.example"

    var issuers: [Issuer] = []
    var users: [User] = []
    let userAgents = ["Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)", "KeyboundMail-client/2.3 (iOS 18.1)",
                      "python-msal/1.28 (backup-connector)", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "Go-http-client/2.0"]

    init(random: inout SplitMix) {
        var consumers = Issuer(id: "consumers", url: "\(Self.baseURL)/consumers", tenantID: Self.consumerTenantID, mailboxes: [],
                               applications: [], users: [])
        for index in 0..<Self.consumerUsers {
            let mailbox = "person\(index)@outlook.keybound.example"
            consumers.mailboxes.append(mailbox)
            consumers.users.append(users.count)
            users.append(User(issuer: 0, subject: random.uuid(), mailbox: mailbox, client: index % 3 == 0 ? "mobile-mail" : "outlook-web"))
        }
        issuers.append(consumers)
        for tenant in 0..<Self.tenantCount {
            let id = String(format: "tenant-%03d", tenant)
            var issuer = Issuer(id: id, url: "\(Self.baseURL)/\(id)", tenantID: random.uuid(), mailboxes: [], applications: [], users: [])
            for mailbox in 0..<Self.mailboxesPerTenant { issuer.mailboxes.append("user\(mailbox)@\(id).keybound.example") }
            for _ in 0..<Self.applicationsPerTenant { issuer.applications.append(random.uuid()) }
            for user in 0..<Self.usersPerTenant {
                issuer.users.append(users.count)
                users.append(User(issuer: issuers.count, subject: random.uuid(), mailbox: issuer.mailboxes[user],
                                  client: user % 4 == 0 ? "mobile-mail" : "outlook-web"))
            }
            issuers.append(issuer)
        }
    }
}
