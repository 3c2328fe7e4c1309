import CKeyboundProcess
import Foundation
import Keybound

/// What `keybound` does to its own process before it reads any key: it makes itself
/// non-dumpable (`PR_SET_DUMPABLE` 0), so that a crash writes no core file holding unsealed keys,
/// the KEK or the audit signing key, and no process without `CAP_SYS_PTRACE` can attach to it.
/// `serve --allow-core-dumps` turns dumps back on for debugging; production mode refuses that.
enum ProcessHardening {
    /// Makes the process non-dumpable, and has the secret worker threads allocate from the
    /// secret heap (`CKeyboundProcess`: out of dumps, locked, zeroed when freed). A failure of
    /// `prctl` is reported on stderr and does not stop the command (the kernel refuses it only on
    /// systems without `prctl`).
    static func forbidCoreDumps() {
        SecretWorkers.installThreadStartHook(keybound_secret_thread_enter)
        if keybound_set_dumpable(0) != 0 {
            FileHandle.standardError.write(Data("keybound: warning: could not make the process non-dumpable (prctl: errno \(errno))\n".utf8))
        }
    }

    /// Allows core dumps again (`--allow-core-dumps`, development only).
    static func allowCoreDumps() throws(CLIError) {
        guard keybound_set_dumpable(1) == 0 else { throw CLIError("--allow-core-dumps: prctl(PR_SET_DUMPABLE) failed (errno \(errno))") }
    }

    /// Whether the kernel would dump this process now, as it reports it (`PR_GET_DUMPABLE`).
    static var isDumpable: Bool { keybound_dumpable() == 1 }
}
