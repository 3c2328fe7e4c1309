import Foundation
import KeyboundPostgres
import KeyboundTesting
import Logging
import PostgresNIO
import Testing

/// `postgres://` URLs: what a node accepts, what it refuses, and what it logs.
@Suite("PostgreSQL connection settings")
struct PostgresConnectionSettingsTests {
    @Test("a loopback URL reads as written; TLS defaults to off on loopback only")
    func loopback() throws {
        let settings = try PostgresConnectionSettings(url: "postgres://keybound@127.0.0.1:6543/identity")
        #expect(settings.host == "127.0.0.1" && settings.port == 6543)
        #expect(settings.username == "keybound" && settings.database == "identity")
        #expect(settings.tls == .disable && settings.isLoopback)
        let defaults = try PostgresConnectionSettings(url: "postgresql://kb@localhost/db")
        #expect(defaults.port == 5432 && defaults.tls == .disable)
        let ipv6 = try PostgresConnectionSettings(url: "postgres://kb@[::1]:5433/db")
        #expect(ipv6.host == "::1" && ipv6.isLoopback && ipv6.description.contains("[::1]:5433"))
    }

    @Test("off loopback, TLS with verify-full is the default and the only choice")
    func remoteNeedsVerifiedTLS() throws {
        let remote = try PostgresConnectionSettings(url: "postgres://kb@db.internal.example/identity")
        #expect(remote.tls == .verifyFull && !remote.isLoopback)
        let rooted = try PostgresConnectionSettings(url: "postgres://kb@10.0.0.5/identity?sslmode=verify-full&sslrootcert=/etc/kb/ca.pem")
        #expect(rooted.tls == .verifyFull && rooted.rootCertificatePath == "/etc/kb/ca.pem")
        for url in ["postgres://kb@db.example/identity?sslmode=disable", "postgres://kb@128.0.0.1/identity?sslmode=disable",
                    "postgres://kb@127.0.0.1.example.com/identity?sslmode=disable"] {
            let error = #expect(throws: PostgresStorageError.self) { try PostgresConnectionSettings(url: url) }
            #expect(error?.code == .badLocation && error?.message.contains("verify-full") == true, "\(url)")
        }
        for mode in ["require", "prefer", "verify-ca", "allow"] {
            let error = #expect(throws: PostgresStorageError.self) {
                try PostgresConnectionSettings(url: "postgres://kb@db.example/identity?sslmode=\(mode)")
            }
            #expect(error?.code == .badLocation, "sslmode=\(mode) does not check the host name")
        }
    }

    @Test("a password in the URL is refused, and the error does not repeat it")
    func passwordInURL() {
        let error = #expect(throws: PostgresStorageError.self) {
            try PostgresConnectionSettings(url: "postgres://kb:hunter2-secret@127.0.0.1/identity")
        }
        #expect(error?.code == .badLocation)
        #expect(error?.message.contains("KEYBOUND_DATABASE_PASSWORD_FILE") == true)
        #expect(error?.message.contains("hunter2") == false)
        let garbled = #expect(throws: PostgresStorageError.self) { try PostgresConnectionSettings(url: "mysql://kb:hunter2@x/y") }
        #expect(garbled?.message.contains("hunter2") == false)
    }

    @Test("incomplete or unknown parts are refused with what to write", arguments: [
        ("postgres://127.0.0.1/identity", "USER"),
        ("postgres://kb@/identity", "host"),
        ("postgres://kb@127.0.0.1", "DATABASE"),
        ("postgres://kb@127.0.0.1/a/b", "DATABASE"),
        ("postgres://kb@127.0.0.1/identity?sslmod=disable", "sslmod"),
        ("postgres://kb@127.0.0.1/identity?sslrootcert=/ca.pem", "sslrootcert"),
        ("postgres://kb@127.0.0.1/identity?operation_timeout=0", "operation_timeout"),
        ("postgres://kb@127.0.0.1/identity?operation_timeout=601", "operation_timeout"),
        ("postgres://kb@127.0.0.1/identity?operation_timeout=2.5", "whole seconds"),
        ("postgres://kb@127.0.0.1/identity?operation_timeout=", "operation_timeout"),
        ("postgres://kb@127.0.0.1/identity?pool_size=4", "pool_size"),
        ("postgres://kb@127.0.0.1/identity?pool_size=500&pool_size=5", "more than once"),
        ("postgres://kb@127.0.0.1/identity?sslmode=disable&sslmode=verify-full", "more than once"),
        ("postgres://kb@127.0.0.1/identity?pool_size=501", "pool_size"),
        ("postgres://kb@127.0.0.1/identity?pool_size=ten", "whole number"),
        ("sqlite:/var/lib/keybound", "postgres://"),
    ])
    func refused(url: String, hint: String) {
        let error = #expect(throws: PostgresStorageError.self) { try PostgresConnectionSettings(url: url) }
        #expect(error?.code == .badLocation)
        #expect(error?.message.contains(hint) == true, "\(error?.message ?? "")")
    }

    @Test("the logged form names the database and never a password")
    func description() throws {
        let settings = try PostgresConnectionSettings(url: "postgres://kb@db.example:6000/identity?sslrootcert=/ca.pem")
        #expect(settings.description == "postgres://kb@db.example:6000/identity?sslmode=verify-full&sslrootcert=/ca.pem")
    }

    @Test("operation_timeout sets how long each store operation may take; without it, 5 s; the logged form keeps it")
    func operationTimeout() throws {
        let slow = try PostgresConnectionSettings(url: "postgres://kb@127.0.0.1/identity?operation_timeout=90")
        #expect(slow.operationTimeout == .seconds(90))
        #expect(slow.description == "postgres://kb@127.0.0.1:5432/identity?sslmode=disable&operation_timeout=90")
        #expect(try PostgresConnectionSettings(url: slow.description) == slow, "the logged form reads back as the same settings")
        let plain = try PostgresConnectionSettings(url: "postgres://kb@127.0.0.1/identity")
        #expect(plain.operationTimeout == nil && !plain.description.contains("operation_timeout"))
        let environment = ["KEYBOUND_DATABASE_PASSWORD_FILE": try Self.passwordFile()]
        let logger = Logger(label: "keybound.tests.settings")
        #expect(try PostgresBackend(settings: slow, environment: environment, logger: logger).operationDeadline == .seconds(90))
        #expect(try PostgresBackend(settings: plain, environment: environment, logger: logger).operationDeadline == .seconds(5))
        #expect(try PostgresBackend(settings: slow, environment: environment, logger: logger, operationDeadline: .seconds(2)).operationDeadline
                == .seconds(2), "a caller's own deadline wins over the URL's")
    }

    @Test("a deadline given in code must be whole seconds in range, as the URL's is")
    func programmaticTimeout() {
        for timeout in [Duration.milliseconds(1_500), .seconds(0), .seconds(601)] {
            let error = #expect(throws: PostgresStorageError.self) {
                try PostgresConnectionSettings(host: "127.0.0.1", username: "kb", database: "identity", operationTimeout: timeout)
            }
            #expect(error?.message.contains("whole seconds") == true, "\(timeout)")
        }
    }

    @Test("pool_size sets a server's pool (20 without it); a tool's own small pool wins; the logged form keeps it")
    func poolSize() throws {
        let sized = try PostgresConnectionSettings(url: "postgres://kb@127.0.0.1/identity?pool_size=8&operation_timeout=9")
        #expect(sized.poolSize == 8 && sized.operationTimeout == .seconds(9))
        #expect(sized.description == "postgres://kb@127.0.0.1:5432/identity?sslmode=disable&operation_timeout=9&pool_size=8")
        #expect(try PostgresConnectionSettings(url: sized.description) == sized)
        let plain = try PostgresConnectionSettings(url: "postgres://kb@127.0.0.1/identity")
        let environment = ["KEYBOUND_DATABASE_PASSWORD_FILE": try Self.passwordFile()]
        let logger = Logger(label: "keybound.tests.settings")
        #expect(try PostgresBackend(settings: sized, environment: environment, logger: logger).maximumConnections == 8)
        #expect(try PostgresBackend(settings: plain, environment: environment, logger: logger).maximumConnections == 20)
        #expect(try PostgresBackend(settings: sized, environment: environment, logger: logger, maximumConnections: 2).maximumConnections == 2)
    }

    @Test("an operation that overruns the URL's operation_timeout fails at it, and the error names the parameter")
    func overrunNamesTheParameter() async throws {
        let database = try await TestPostgres.shared.makeDatabase("operation_timeout")
        let url = "postgres://\(database.username)@\(database.host):\(database.port)/\(database.name)?operation_timeout=3"
        let settings = try PostgresConnectionSettings(url: url)
        let (error, waited) = try await PostgresBackend.withRunning(settings, environment: database.environment, logger: TestPostgres.logger) { backend in
            // A pooled connection first (a busy machine may be slow to open one), so that what
            // follows overruns with its connection granted.
            var connected = false
            for _ in 0..<20 where !connected {
                connected = (try? await backend.withTransaction { connection in
                    try await connection.query("SELECT 1", logger: TestPostgres.logger)
                }) != nil
            }
            #expect(connected, "the test database answers SELECT 1")
            let started = ContinuousClock.now
            let error = await #expect(throws: PostgresStorageError.self) {
                try await backend.withTransaction { connection in
                    try await connection.query("SELECT pg_sleep(30)", logger: TestPostgres.logger)
                }
            }
            return (error, ContinuousClock.now - started)
        }
        #expect(error?.code == .database, "its connection was granted: the statement overran")
        #expect(error?.message.contains("within 3.0 seconds") == true && error?.message.contains("operation_timeout=SECONDS") == true,
                "\(error?.message ?? "")")
        // Far below the statement's 30 s (the suite may keep this task waiting a little).
        #expect(waited >= .seconds(3) && waited < .seconds(20), "\(waited)")
    }

    /// A password file as a node reads it (mode 600); the backend reads it without connecting.
    static func passwordFile() throws -> String {
        let path = NSTemporaryDirectory() + "kb-pw-\(UUID().uuidString)"
        try Data("unused\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return path
    }
}

/// Where the password comes from: a file named by the environment, never the URL.
@Suite("PostgreSQL password files")
struct PostgresPasswordSourceTests {
    let settings = try! PostgresConnectionSettings(url: "postgres://kb@127.0.0.1:5432/identity")

    private func file(_ contents: String, mode: mode_t = 0o600) throws -> String {
        let path = NSTemporaryDirectory() + "kb-pw-\(UUID().uuidString)"
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    @Test("KEYBOUND_DATABASE_PASSWORD_FILE: its contents, less one trailing newline")
    func passwordFile() throws {
        let path = try file("s3cret:with:colons\n")
        defer { unlink(path) }
        #expect(try PostgresPasswordSource.password(for: settings, environment: ["KEYBOUND_DATABASE_PASSWORD_FILE": path])
                == "s3cret:with:colons")
        #expect(try PostgresPasswordSource.password(for: settings, environment: ["HOME": "/nonexistent"]) == nil)
    }

    @Test("a password file others may read, a missing one and an empty one are refused")
    func refusedFiles() throws {
        let open = try file("s3cret\n", mode: 0o644), empty = try file("")
        defer { unlink(open); unlink(empty) }
        for (path, hint) in [(open, "chmod 600"), ("/nonexistent/pw", "does not exist"), (empty, "empty")] {
            let error = #expect(throws: PostgresStorageError.self) {
                try PostgresPasswordSource.password(for: settings, environment: ["KEYBOUND_DATABASE_PASSWORD_FILE": path])
            }
            #expect(error?.code == .passwordFile && error?.message.contains(hint) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("s3cret") == false)
        }
        let loosePgpass = try file("*:*:*:*:s3cret\n", mode: 0o640)
        defer { unlink(loosePgpass) }
        let error = #expect(throws: PostgresStorageError.self) {
            try PostgresPasswordSource.password(for: settings, environment: ["PGPASSFILE": loosePgpass])
        }
        #expect(error?.code == .passwordFile)
    }

    @Test("PGPASSFILE: the first matching line wins; * matches anything; \\: and \\\\ escape")
    func pgpass() throws {
        let text = """
            # comment
            otherhost:5432:identity:kb:wrong
            127.0.0.1:5432:other:kb:wrong-database
            127.0.0.1:*:identity:kb:pa\\:ss\\\\word
            *:*:*:*:fallback
            """
        #expect(PostgresPasswordSource.lookup(settings, in: text) == "pa:ss\\word")
        let other = try PostgresConnectionSettings(url: "postgres://someone@127.0.0.1/elsewhere")
        #expect(PostgresPasswordSource.lookup(other, in: text) == "fallback")
        #expect(PostgresPasswordSource.lookup(other, in: "127.0.0.1:5432:identity:kb:x") == nil)
        let path = try file(text)
        defer { unlink(path) }
        #expect(try PostgresPasswordSource.password(for: settings, environment: ["PGPASSFILE": path]) == "pa:ss\\word")
    }
}
