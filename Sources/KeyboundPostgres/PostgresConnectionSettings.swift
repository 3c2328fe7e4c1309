import Foundation

/// Where and how to reach one PostgreSQL database, read from a `postgres://` URL.
///
/// ```
/// postgres://USER@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=/path/ca.pem&operation_timeout=SECONDS&pool_size=N]
/// ```
///
/// - The URL never carries the password: it comes from ``PostgresPasswordSource`` (a file), so it
///   cannot leak through a command line, a process listing or a log. A URL with one is refused.
/// - A database that is not on loopback is reached only over TLS with `sslmode=verify-full` (the
///   default there): the server's certificate must chain to a trusted root and name the host.
///   On loopback `sslmode` defaults to `disable`.
/// - `operation_timeout` (whole seconds, 1 to 600; Keybound's own, not libpq's) bounds each store
///   operation, the wait for a connection included (``PostgresBackend/defaultOperationDeadline``
///   unless given): past it the operation fails (503) and its transaction is rolled back.
/// - `pool_size` (5 to 500; Keybound's own) is how many connections a server's pool may hold
///   (``PostgresBackend/defaultMaximumConnections`` unless given); command-line tools keep their own
///   small pool. Nodes × `pool_size` must stay below the database's `max_connections`. A node
///   holds up to two connections for as long as it runs (its change listener, and the audit log's
///   verifier), so fewer than 5 would leave requests too few.
/// - Each parameter may be given once; a repeated one is refused, never resolved by order.
/// - ``description`` is the URL as it may be logged.
package struct PostgresConnectionSettings: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is protected.
    package enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP: loopback only.
        case disable
        /// TLS; the certificate must chain to a trusted root and name the host.
        case verifyFull = "verify-full"
    }

    /// Host name or IP address.
    package var host: String
    /// TCP port.
    package var port: Int
    /// The database role to connect as.
    package var username: String
    /// The database name.
    package var database: String
    /// TLS mode.
    package var tls: TLSMode
    /// A PEM file of the roots that may sign the server's certificate (`nil`: the system's roots).
    package var rootCertificatePath: String?
    /// How long one store operation may take (`nil`: ``PostgresBackend/defaultOperationDeadline``).
    package var operationTimeout: Duration?
    /// The range `operation_timeout` accepts, in seconds.
    package static let operationTimeoutRange = 1...600
    /// How many connections a server's pool may hold (`nil`: ``PostgresBackend/defaultMaximumConnections``).
    package var poolSize: Int?
    /// The range `pool_size` accepts.
    package static let poolSizeRange = 5...500

    /// Settings for a database (checked as ``init(url:)`` checks a URL's).
    package init(host: String, port: Int = 5432, username: String, database: String, tls: TLSMode? = nil,
                 rootCertificatePath: String? = nil, operationTimeout: Duration? = nil, poolSize: Int? = nil) throws(PostgresStorageError) {
        self.host = host
        self.port = port
        self.username = username
        self.database = database
        self.tls = tls ?? (Self.isLoopback(host) ? .disable : .verifyFull)
        self.rootCertificatePath = rootCertificatePath
        self.operationTimeout = operationTimeout
        self.poolSize = poolSize
        try validate()
    }

    /// Reads a `postgres://` (or `postgresql://`) URL.
    package init(url text: String) throws(PostgresStorageError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else {
            throw PostgresStorageError(.badLocation, "not a postgres:// URL: '\(Self.redact(text))'")
        }
        if components.password != nil {
            throw PostgresStorageError(.badLocation,
                "the database URL must not carry a password: put it in the file named by KEYBOUND_DATABASE_PASSWORD_FILE or in a PGPASSFILE")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresStorageError(.badLocation, "name the database user in the URL: postgres://USER@HOST/DATABASE")
        }
        guard var host = components.host, !host.isEmpty else {
            throw PostgresStorageError(.badLocation, "name the database host in the URL: postgres://USER@HOST/DATABASE")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let name = String(components.path.drop(while: { $0 == "/" }))
        guard !name.isEmpty, !name.contains("/") else {
            throw PostgresStorageError(.badLocation, "name one database in the URL: postgres://USER@HOST/DATABASE")
        }
        var tls: TLSMode?
        var rootCertificatePath: String?
        var operationTimeout: Duration?
        var poolSize: Int?
        var seen = Set<String>()
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else {
                throw PostgresStorageError(.badLocation, "the database URL names '\(item.name)' more than once")
            }
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw PostgresStorageError(.badLocation,
                        "sslmode '\(item.value ?? "")' is not supported: use verify-full (or disable, on loopback only)")
                }
                tls = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else {
                    throw PostgresStorageError(.badLocation, "sslrootcert needs a file path")
                }
                rootCertificatePath = path
            case "operation_timeout":
                // The range is checked with the rest, in validate().
                guard let seconds = item.value.flatMap({ Int($0) }) else {
                    throw PostgresStorageError(.badLocation,
                        "operation_timeout '\(item.value ?? "")' must be whole seconds from \(Self.operationTimeoutRange.lowerBound) to \(Self.operationTimeoutRange.upperBound)")
                }
                operationTimeout = .seconds(seconds)
            case "pool_size":
                guard let size = item.value.flatMap({ Int($0) }) else {
                    throw PostgresStorageError(.badLocation,
                        "pool_size '\(item.value ?? "")' must be a whole number from \(Self.poolSizeRange.lowerBound) to \(Self.poolSizeRange.upperBound)")
                }
                poolSize = size
            default:
                throw PostgresStorageError(.badLocation,
                    "unknown database URL parameter '\(item.name)' (known: sslmode, sslrootcert, operation_timeout, pool_size)")
            }
        }
        try self.init(host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
                      database: name.removingPercentEncoding ?? name, tls: tls, rootCertificatePath: rootCertificatePath,
                      operationTimeout: operationTimeout, poolSize: poolSize)
    }

    /// Whether the host is this machine (`localhost`, 127.0.0.0/8 or `::1`).
    package var isLoopback: Bool { Self.isLoopback(host) }

    /// The URL as it may be logged (it never holds a password).
    package var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        var text = "postgres://\(username)@\(shownHost):\(port)/\(database)?sslmode=\(tls.rawValue)"
        if let rootCertificatePath { text += "&sslrootcert=\(rootCertificatePath)" }
        if let operationTimeout { text += "&operation_timeout=\(operationTimeout.components.seconds)" }
        if let poolSize { text += "&pool_size=\(poolSize)" }
        return text
    }

    private func validate() throws(PostgresStorageError) {
        guard (1...65_535).contains(port) else {
            throw PostgresStorageError(.badLocation, "database port \(port) is out of range")
        }
        if tls == .disable && !isLoopback {
            throw PostgresStorageError(.badLocation,
                "the database at '\(host)' is not on loopback: it must be reached with sslmode=verify-full")
        }
        if rootCertificatePath != nil && tls == .disable {
            throw PostgresStorageError(.badLocation, "sslrootcert is only used with sslmode=verify-full")
        }
        if let operationTimeout, operationTimeout.components.attoseconds != 0
            || !Self.operationTimeoutRange.contains(Int(operationTimeout.components.seconds)) {
            throw PostgresStorageError(.badLocation, "operation_timeout \(operationTimeout) must be whole seconds from \(Self.operationTimeoutRange.lowerBound) to \(Self.operationTimeoutRange.upperBound)")
        }
        if let poolSize, !Self.poolSizeRange.contains(poolSize) {
            throw PostgresStorageError(.badLocation, "pool_size \(poolSize) is out of range (\(Self.poolSizeRange.lowerBound) to \(Self.poolSizeRange.upperBound))")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" { return true }
        return ipv4Octets(lowered)?.first == 127
    }

    /// Whether the host is written as an IP address (IPv4 dotted quad, or IPv6), not a name.
    var isIPAddress: Bool { host.contains(":") || Self.ipv4Octets(host) != nil }

    /// The four octets of a dotted-quad IPv4 address, or `nil`.
    private static func ipv4Octets(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }

    /// A URL with any password replaced, for error messages.
    static func redact(_ text: String) -> String {
        guard let components = URLComponents(string: text), components.password != nil else {
            return text.contains("@") ? "(a URL with credentials)" : text
        }
        var redacted = components
        redacted.password = "***"
        return redacted.string ?? "(a URL with credentials)"
    }
}
