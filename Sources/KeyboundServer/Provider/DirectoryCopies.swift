import KeyboundStore
import Synchronization

/// The directory copies one token request read (``DirectoryCache/copiedClient(issuerID:clientID:)``):
/// its ledger commit checks the oldest version, so tokens minted from a copy the directory has
/// since outgrown are never handed out.
final class DirectoryCopies: Sendable {
    let issuerID: String
    private let oldest = Mutex<Int64?>(nil)

    init(issuerID: String) { self.issuerID = issuerID }

    func record(_ version: Int64) {
        oldest.withLock { $0 = min($0 ?? version, version) }
    }

    /// The version the commit must find, or `nil` when nothing was read from a copy.
    var version: DirectoryVersion? { oldest.withLock { $0 }.map { DirectoryVersion(issuerID: issuerID, version: $0) } }
}
