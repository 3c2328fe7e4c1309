import Foundation
package import KeyboundPostgres
internal import PostgresNIO

/// The rotation engine's leadership on PostgreSQL: one row (`rotation_leader`) naming the node that
/// holds the lease and when it last renewed it (its heartbeat), by the database's clock, so the
/// nodes' clocks need not agree.
///
/// A claim runs in one transaction under the leadership's advisory lock: the holder renews; another
/// node takes over only when the heartbeat is older than the lease. A holder that hangs (a stuck
/// event loop, a paused VM) stops renewing, and the next node to claim after the lease runs the
/// engine: rotation never stops silently behind a lock that a live but stuck connection still holds.
package struct PostgresRotationLeadership: RotationLeadership {
    /// The advisory lock every claim takes ("KB" 0x0300).
    static let claimLock: Int64 = 0x4B42_0000_0000_0300

    package let database: PostgresBackend

    package init(database: PostgresBackend) {
        self.database = database
    }

    package func claim(node: String, lease: TimeInterval) async throws(StoreError) -> Bool {
        let logger = database.logger
        let result: Result<Bool, StoreError> = await PostgresProviderStore.call {
            try await database.withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.claimLock))", logger: logger)
                let holders = try await connection.query("""
                    UPDATE rotation_leader SET node = \(node), heartbeat_at = extract(epoch FROM clock_timestamp()),
                        since = CASE WHEN node = \(node) THEN since ELSE extract(epoch FROM clock_timestamp()) END
                    WHERE node = \(node) OR heartbeat_at < extract(epoch FROM clock_timestamp()) - \(lease)
                    RETURNING node
                    """, logger: logger).collect()
                if !holders.isEmpty { return true }
                let inserted = try await connection.query("""
                    INSERT INTO rotation_leader (singleton, node, heartbeat_at, since)
                    VALUES (true, \(node), extract(epoch FROM clock_timestamp()), extract(epoch FROM clock_timestamp()))
                    ON CONFLICT (singleton) DO NOTHING RETURNING node
                    """, logger: logger).collect()
                return !inserted.isEmpty
            }
        }
        return try result.get()
    }

    package func resign(node: String) async {
        _ = await PostgresProviderStore.call {
            try await database.withTransaction { connection in
                try await connection.query("DELETE FROM rotation_leader WHERE node = \(node)", logger: database.logger)
            }
        }
    }

    /// The node holding the lease and its last heartbeat (seconds since 1970), or `nil` (tests, status).
    package func holder() async throws(StoreError) -> (node: String, heartbeatAt: Double)? {
        let logger = database.logger
        let result: Result<(node: String, heartbeatAt: Double)?, StoreError> = await PostgresProviderStore.call {
            try await database.withConnection { connection in
                let rows = try await connection.query("SELECT node, heartbeat_at FROM rotation_leader", logger: logger).collect()
                guard let row = rows.first?.makeRandomAccess() else { return nil }
                return (try row["node"].decode(String.self), try row["heartbeat_at"].decode(Double.self))
            }
        }
        return try result.get()
    }
}

extension KeyboundPostgresSchema {
    /// Version 3: the rotation engine's leadership lease (``PostgresRotationLeadership``).
    static let rotationLeadership = PostgresMigration(version: 3, name: "rotation leadership", statements: [
        """
        CREATE TABLE rotation_leader (
            singleton boolean PRIMARY KEY CHECK (singleton),
            node text COLLATE "C" NOT NULL,
            heartbeat_at double precision NOT NULL,
            since double precision NOT NULL)
        """,
    ])
}
