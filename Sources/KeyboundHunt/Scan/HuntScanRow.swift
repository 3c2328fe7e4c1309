/// The columns of one audit record that the hunt's scan reads.
enum HuntScanColumn: Int32 {
    case sequence = 0, time, allowed, rejectionCode, digest, issuer, keyID, clientID, tenant, mailbox, expires, tenantIssuer, verified,
         itemIDs
}

/// One audit record as the scan reads it: text values as the bytes stored, never as Swift strings
/// on the hot path. Each backend provides its own (``SQLiteScanRow`` steps the SQLite C API;
/// ``RecordScanRow`` lays out a record read through the audit log's storage). A text's pointer
/// stays valid until the row moves on.
protocol HuntScanRow {
    /// The record's sequence number.
    var sequence: Int64 { get }
    /// The record's time, in milliseconds since 1970.
    var timeMilliseconds: Int64 { get }
    /// Whether the request was served.
    var allowed: Bool { get }
    /// Whether the token's tenant was verified: `attribution = 'verified'`, or (a record of format
    /// 1, with no attribution) the request was served.
    var verified: Bool { get }
    /// The token's `exp` in milliseconds, when recorded.
    var expiresMilliseconds: Int64? { get }
    /// The bytes of a text column: `nil` for a missing value; an empty text has a non-nil base.
    func text(_ column: HuntScanColumn) -> (UnsafeRawPointer?, Int)
}
