/// The `VALUES` list of a multi-row `INSERT` that binds `columns` values per row, row after row:
/// `($1, $2, …), ($n+1, …), …`. One statement, one round trip, for a batch of rows.
package func valuesPlaceholders(rows: Int, columns: Int) -> String {
    (0..<rows).map { row in
        "(" + (1...columns).map { "$\(row * columns + $0)" }.joined(separator: ", ") + ")"
    }.joined(separator: ", ")
}
