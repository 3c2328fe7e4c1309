internal import GRDB
internal import GRDBSQLite

extension Database {
    /// Steps the `SELECT` `sql` with the SQLite C API, calling `body` with the statement's handle
    /// at each row (the hunt's fast paths: no `Row` is built, values are read where SQLite holds them).
    @inline(__always)
    func stepRows(_ sql: String, _ body: (OpaquePointer) throws -> Void) throws {
        let statement = try makeStatement(sql: sql)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)))
            }
            try body(handle)
        }
    }
}
