/// What the scan keeps of a flagged record until its details are read: the sequence number and
/// the few facts the scan already knew. Never the record itself.
struct FindingCandidate {
    var kind: HuntFinding.Kind
    var sequence: Int64
    var time: Int64
    /// The interned (iss, kid) of the token.
    var keyRef: Int32
    /// Whether the ledger holds the token's claims digest (`nil`: not checked).
    var inLedger: Bool?
}

/// A first-time access seen by the scan (the client and mailbox are read back from the record).
struct LeadCandidate {
    var sequence: Int64
    var time: Int64
    var previous: Int64?
}

/// The hot-path facts of one (iss, kid) pair, computed once from the key directory.
struct KeyFacts {
    /// The `iss` is an issuer of the key store, so its ledger covers the token.
    var covered: Bool
    /// The key store's revocation time of this issuer's key `kid` (ms), or `Int64.max`.
    var revokedAt: Int64
    /// Its retirement time (ms), or `Int64.max`.
    var retiredAt: Int64
    /// The `kid` is not a key of the claimed issuer but of another one: a cross-issuer token.
    var foreign: Bool
    /// The `kid` is the traced key's (finding 1).
    var traced: Bool
    /// The seeds of an application's and a tenant's hash in the first-time map: the issuer's bytes
    /// hashed with the scan's seed and with its complement, once per pair instead of per record.
    var applicationSeed: UInt64
    var tenantSeed: UInt64
}
