import Foundation
import Keybound

/// The issuers a benchmark verifier trusts, as a real trust store would hold them: several
/// tenants, each with its own tenant id (its tenancy) and its own keys, two per algorithm (an
/// active key and the next one), so the tokens carry distinct `kid`s and so distinct header bytes.
struct BenchmarkIssuer: Sendable {
    let name: String
    let identifier: String
    let tenantID: String

    /// Three tenants.
    static let all: [BenchmarkIssuer] = [
        BenchmarkIssuer(name: "contoso", identifier: "https://login.example.com/contoso/v2.0",
                        tenantID: "9188040d-6c67-4c5b-b112-36a304b66dad"),
        BenchmarkIssuer(name: "fabrikam", identifier: "https://login.example.com/fabrikam/v2.0",
                        tenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        BenchmarkIssuer(name: "northwind", identifier: "https://login.example.com/northwind/v2.0",
                        tenantID: "f8cdef31-a31e-4b4a-93e4-5f571e91255a"),
    ]

    /// Keys per issuer and algorithm.
    static let keysPerIssuer = 2

    /// The `tid` an issuer's tokens must carry, by issuer identifier.
    static let tenantIDs: [String: String] = Dictionary(uniqueKeysWithValues: all.map { ($0.identifier, $0.tenantID) })

    /// Which (issuer, key) signs token `index`: tokens are interleaved over every issuer and key,
    /// so consecutive verifications change issuer, and every sixth one the same key again.
    static func keyIndex(ofToken index: Int) -> Int {
        let issuer = index % all.count
        let key = (index / all.count) % keysPerIssuer
        return issuer * keysPerIssuer + key
    }

    /// The issuer of key `keyIndex`.
    static func issuer(ofKey keyIndex: Int) -> BenchmarkIssuer { all[keyIndex / keysPerIssuer] }

    /// The number of (issuer, key) pairs per algorithm.
    static var keyCount: Int { all.count * keysPerIssuer }
}
