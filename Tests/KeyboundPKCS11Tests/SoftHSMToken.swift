import Foundation
import Glibc
import KeyboundPKCS11
import KeyboundTesting

/// One SoftHSM2 token for this test target, in a temporary directory, initialised once.
///
/// SoftHSM2 reads its configuration (`SOFTHSM2_CONF`) when the module is initialised, and a
/// module is initialised once per process, so every test of the process shares the token; tests
/// stay apart by using issuers of their own. `./test.sh` installs `softhsm2`; without it the
/// tests fail, they do not skip.
enum SoftHSMToken {
    static let modulePath = "/usr/lib/softhsm/libsofthsm2.so"
    static let label = "keybound-tests"
    /// A second token that no test logs in to successfully: PKCS#11 login state is shared by
    /// every session of a process, so a wrong PIN is only noticed on a token not yet logged in.
    static let loginTestLabel = "keybound-login-tests"
    static let pinVariable = "SOFTHSM_TEST_USER_PIN"
    /// The variable that names this process's token directory, for the other test target's copy of this file.
    static let directoryVariable = "SOFTHSM_TEST_DIRECTORY"

    /// The token's directory, PIN file and configuration.
    struct Setup: Sendable {
        let directory: URL
        let pinFile: URL
        var configuration: PKCS11Configuration {
            PKCS11Configuration(modulePath: SoftHSMToken.modulePath, tokenLabel: SoftHSMToken.label, pin: .file(pinFile.path))
        }
    }

    private static let setup = Task { () throws -> Setup in
        // Every test target is linked into one test process, and each that uses this file has its
        // own copy of it: the first to take the process's lock makes a fresh directory and names it
        // in SOFTHSM_TEST_DIRECTORY; the other finds it there. It is removed when the process exits.
        let lockPath = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-softhsm-\(getpid()).lock").path
        let lock = Glibc.open(lockPath, O_CREAT | O_RDWR, 0o600)
        guard lock >= 0 else { throw SetupError("cannot open the SoftHSM2 setup lock") }
        defer { Glibc.close(lock) }
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { flock(lock, LOCK_EX); continuation.resume() }
        }
        defer { flock(lock, LOCK_UN) }
        let directory: URL
        if let existing = getenv(directoryVariable) {
            directory = URL(fileURLWithPath: String(cString: existing))
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-softhsm-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            setenv(directoryVariable, directory.path, 1)
            atexit {
                if let path = getenv("SOFTHSM_TEST_DIRECTORY") { try? FileManager.default.removeItem(atPath: String(cString: path)) }
                unlink(FileManager.default.temporaryDirectory.appendingPathComponent("keybound-softhsm-\(getpid()).lock").path)
            }
        }
        let conf = directory.appendingPathComponent("softhsm2.conf")
        let pinFile = directory.appendingPathComponent("pin")
        let ready = directory.appendingPathComponent("ready")
        if !FileManager.default.fileExists(atPath: ready.path) {
            let tokens = directory.appendingPathComponent("tokens")
            try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
            try "directories.tokendir = \(tokens.path)\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
                .write(to: conf, atomically: true, encoding: .utf8)
            let pin = "keybound-\(UInt32.random(in: 100_000...999_999))"
            let soPIN = "so-\(UInt32.random(in: 100_000...999_999))"
            var environment = ProcessInfo.processInfo.environment
            environment["SOFTHSM2_CONF"] = conf.path
            for tokenLabel in [label, loginTestLabel] {
                let initialised = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), [
                    "softhsm2-util", "--init-token", "--free", "--label", tokenLabel, "--pin", pin, "--so-pin", soPIN],
                    environment: environment)
                guard initialised.status == 0 else {
                    throw SetupError("softhsm2-util --init-token failed (is softhsm2 installed? ./test.sh installs it): \(initialised.stderr)")
                }
            }
            try Data(pin.utf8).write(to: pinFile)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pinFile.path)
            try Data().write(to: ready)
        }
        let pin = try String(contentsOf: pinFile, encoding: .utf8)
        // Before the module is first initialised in this process (it reads the variable then),
        // and for every child process (`keybound`) the tests start.
        setenv("SOFTHSM2_CONF", conf.path, 1)
        setenv(pinVariable, pin, 1)
        return Setup(directory: directory, pinFile: pinFile)
    }

    /// The shared token's setup, made on first use.
    static func shared() async throws -> Setup { try await setup.value }

    /// The shared token, opened with `sessions` sessions.
    static func open(sessions: Int = 4) async throws -> PKCS11Token {
        var configuration = try await shared().configuration
        configuration.sessions = sessions
        return try await PKCS11Token.open(configuration)
    }

    struct SetupError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// A PKCS#11 module that forwards to SoftHSM2 and can pretend its token was pulled out
/// (`Tests/Fixtures/PKCS11/removable-token.c`, compiled here with clang into a directory of its
/// own, so each test has its own switch).
struct RemovableToken: Sendable {
    /// The compiled module.
    let modulePath: URL

    /// Compiles a fresh copy of the module.
    static func build() async throws -> RemovableToken {
        // This file's real place (another test target links it): Tests/KeyboundPKCS11Tests.
        let source = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/PKCS11/removable-token.c")
        let directory = try await SoftHSMToken.shared().directory.appendingPathComponent("removable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let module = directory.appendingPathComponent("removable.so")
        let compiled = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                                  ["clang", "-shared", "-fPIC", "-o", module.path, source.path])
        guard compiled.status == 0 else { throw SoftHSMToken.SetupError("clang could not build the removable PKCS#11 module: \(compiled.stderr)") }
        return RemovableToken(modulePath: module)
    }

    /// The shared SoftHSM2 token's configuration, through this module.
    func configuration(sessions: Int = 2) async throws -> PKCS11Configuration {
        var configuration = try await SoftHSMToken.shared().configuration
        configuration.modulePath = modulePath.path
        configuration.sessions = sessions
        return configuration
    }

    private var switchFile: String { modulePath.path + ".removed" }

    /// Pulls the token out: every call that needs it fails from now on.
    func pullOut() { FileManager.default.createFile(atPath: switchFile, contents: Data()) }

    /// Puts it back.
    func putBack() { try? FileManager.default.removeItem(atPath: switchFile) }
}
