import Foundation
import Synchronization

/// The tests' PostgreSQL 15 server: one for the whole test run, started on first use, with a new
/// database for each suite that asks (``makeDatabase(_:)``).
///
/// - The server binaries come from Debian's `postgresql-15` (`/usr/lib/postgresql/15/bin`, not on
///   `PATH`). When they are missing the test fails with one line that names the package.
/// - `initdb` runs as the `postgres` user when the tests run as root (CI does): PostgreSQL refuses
///   to run as root.
/// - It listens on a free loopback port, with `fsync=off` (a test run need not survive a power
///   cut), and asks for a password (SCRAM), which the tests' clients read from a file through
///   `KEYBOUND_DATABASE_PASSWORD_FILE`, as a node would.
/// - It stops when the test process exits (an `atexit` handler), and a watchdog shell stops it if
///   the test process dies without exiting (a crash, SIGKILL).
package actor TestPostgres {
    /// The one server of this test run.
    package static let shared = TestPostgres()

    /// A database made for one suite: where it is, and the environment that holds its password
    /// (`KEYBOUND_DATABASE_PASSWORD_FILE`, as a node reads it). A test target that talks to it
    /// adds the client side (`TestPostgres+Backend.swift`), so that this product needs no
    /// PostgreSQL client.
    package struct Database: Sendable {
        package let host: String
        package let port: Int
        package let username: String
        package let name: String
        package let environment: [String: String]

        /// `postgres://user@host:port/name` (the password stays in its file).
        package var url: String { "postgres://\(username)@\(host):\(port)/\(name)" }
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package static let binaries = "/usr/lib/postgresql/15/bin"
    /// The tests' own pools wait longer than a server's (5 s): a debug build on two busy cores can
    /// take seconds for a statement, and a key-store session waits inside its transaction for an
    /// RSA key (BoringSSL unoptimized: seconds each, queued behind the suite's others); these suites
    /// test rules, not deadlines (the outage suite tests the server's).
    package static let operationDeadline: Duration = .seconds(300)
    /// The variable a node reads its database password file from.
    package static let passwordFileVariable = "KEYBOUND_DATABASE_PASSWORD_FILE"

    fileprivate struct Server: Sendable {
        package let directory: URL
        package let port: Int
        package let passwordFile: URL
        package var data: URL { directory.appendingPathComponent("data") }
        package var pidFile: String { data.appendingPathComponent("postmaster.pid").path }

        func database(_ name: String) -> Database {
            Database(host: "127.0.0.1", port: port, username: "keybound", name: name,
                     environment: [TestPostgres.passwordFileVariable: passwordFile.path])
        }
    }

    private var starting: Task<Server, any Error>?
    private var databases = 0

    /// A new, empty database on the run's server (started on the first call).
    package func makeDatabase(_ label: String) async throws -> Database {
        let server = try await server()
        databases += 1
        let name = "kb_\(databases)_" + label.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(40)
        try await Self.createDatabase(name, on: server)
        return server.database(name)
    }

    private func server() async throws -> Server {
        if let starting { return try await starting.value }
        let task = Task { try await Self.start() }
        starting = task
        return try await task.value
    }

    /// A server of its own, which its suite may stop and start again (``DedicatedServer``): an
    /// outage test cannot stop the server the other suites share.
    package static func dedicatedServer() async throws -> DedicatedServer {
        let server = try await start()
        try await createDatabase("keybound", on: server)
        return DedicatedServer(server)
    }

    /// A server the caller stops and starts, on the same data and port, with one database, `keybound`.
    package final class DedicatedServer: Sendable {
        private let server: Server
        /// The database `keybound`.
        package let database: Database
        /// The maintenance database `postgres`, for statements about the server.
        package let maintenance: Database

        fileprivate init(_ server: Server) {
            self.server = server
            database = server.database("keybound")
            maintenance = server.database("postgres")
        }

        /// Stops the server (a fast shutdown: every session is ended), and waits until it is gone.
        package func stop() async throws {
            try await TestPostgres.stop(server)
        }

        /// Starts the stopped server again, and waits until it accepts connections.
        package func start() async throws {
            try await TestPostgres.launch(server)
        }
    }

    /// Creates database `name` with `psql` (names are letters, digits and `_` only).
    private static func createDatabase(_ name: String, on server: Server) async throws {
        let password = try String(contentsOf: server.passwordFile, encoding: .utf8)
        let psql = try await ChildProcess.run(URL(fileURLWithPath: "\(binaries)/psql"), [
            "-h", "127.0.0.1", "-p", "\(server.port)", "-U", "keybound", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-q", "-c", "CREATE DATABASE \(name)"], environment: ["PGPASSWORD": password, "PATH": "/usr/bin:/bin"])
        guard psql.status == 0 else { throw Failure(description: "CREATE DATABASE \(name) failed: \(psql.stderr)") }
    }

    fileprivate static func start() async throws -> Server {
        for tool in ["initdb", "postgres"] where !FileManager.default.isExecutableFile(atPath: "\(binaries)/\(tool)") {
            throw Failure(description: "PostgreSQL 15 is not installed (no \(binaries)/\(tool)): apt-get install postgresql-15")
        }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("keybound-pg-\(UUID().uuidString.prefix(8))")
        let data = directory.appendingPathComponent("data"), passwordFile = directory.appendingPathComponent("password")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(UUID().uuidString.utf8).write(to: passwordFile)
        chmod(passwordFile.path, 0o600)
        if getuid() == 0 {
            for path in [directory.path, passwordFile.path] where chown(path, postgresUser().uid, postgresUser().gid) != 0 {
                throw Failure(description: "cannot hand \(path) to the postgres user")
            }
        }
        let initdb = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), asPostgresUser + [
            "\(binaries)/initdb", "-D", data.path, "-U", "keybound", "--auth=scram-sha-256", "--pwfile=\(passwordFile.path)",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
        guard initdb.status == 0 else { throw Failure(description: "initdb failed: \(initdb.stderr)") }
        let server = Server(directory: directory, port: try FreePort.next(), passwordFile: passwordFile)
        TestPostgresExit.register(directory: directory, pidFile: server.pidFile)
        try await launch(server)
        return server
    }

    /// `runuser -u postgres --` when the tests run as root (PostgreSQL refuses to run as root).
    private static var asPostgresUser: [String] { getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : [] }

    /// Starts `server`'s postgres on its data directory and waits until it accepts connections.
    fileprivate static func launch(_ server: Server) async throws {
        let directory = server.directory
        let serverCommand = (asPostgresUser + ["\(binaries)/postgres", "-D", server.data.path, "-p", "\(server.port)", "-k", directory.path,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB"]).joined(separator: " ")
        let pidFile = server.pidFile
        // The watchdog: stop the server when this process is gone, whatever way it went.
        let watchdog = """
            \(serverCommand) >>'\(directory.path)/server.log' 2>&1 &
            server=$!
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done
            [ -f '\(pidFile)' ] && kill -INT "$(head -1 '\(pidFile)')" 2>/dev/null
            wait $server
            """
        let process = try SpawnedProcess("/bin/sh", ["-c", watchdog], stdout: .null, stderr: .null)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            // postmaster.pid's eighth line says "ready" once the server accepts connections.
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
               text.split(separator: "\n").dropFirst(7).first?.hasPrefix("ready") == true {
                return
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: directory.path + "/server.log", encoding: .utf8)) ?? ""
        throw Failure(description: "the test PostgreSQL did not start: \(log.suffix(2_000))")
    }

    /// Stops `server` with a fast shutdown and waits until its postmaster is gone.
    fileprivate static func stop(_ server: Server) async throws {
        guard let pid = TestPostgresExit.postmaster(server.pidFile) else {
            throw Failure(description: "the test PostgreSQL is not running (no \(server.pidFile))")
        }
        kill(pid, SIGINT)
        let deadline = ContinuousClock.now + .seconds(60)
        while kill(pid, 0) == 0 || FileManager.default.fileExists(atPath: server.pidFile) {
            guard ContinuousClock.now < deadline else { throw Failure(description: "the test PostgreSQL did not stop within 60 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private static func postgresUser() -> (uid: uid_t, gid: gid_t) {
        guard let entry = getpwnam("postgres") else { return (0, 0) }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }
}

/// Stops the run's servers at exit and removes their directories.
package enum TestPostgresExit {
    private static let servers = Mutex<[(directory: String, pidFile: String)]>([])

    package static func register(directory: URL, pidFile: String) {
        let first = servers.withLock { servers -> Bool in
            defer { servers.append((directory.path, pidFile)) }
            return servers.isEmpty
        }
        if first { atexit { TestPostgresExit.stop() } }
    }

    /// The postmaster's process id, from its pid file.
    package static func postmaster(_ pidFile: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0) }
    }

    package static func stop() {
        for (directory, pidFile) in servers.withLock({ $0 }) {
            if let pid = postmaster(pidFile) {
                kill(pid, SIGINT)
                for _ in 0..<200 where kill(pid, 0) == 0 { usleep(50_000) }
                if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
