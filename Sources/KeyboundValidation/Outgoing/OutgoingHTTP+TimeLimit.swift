extension OutgoingHTTP {
    /// Runs `operation` and cancels it when `limit` has passed (cancelling an AsyncHTTPClient
    /// request closes its connection); then throws ``HTTPFetchError`` "<what> timed out after …".
    /// AsyncHTTPClient's own deadline ends once the response head has arrived; this one covers the
    /// body too.
    static func withTimeLimit<Value: Sendable>(_ limit: Duration, _ what: String,
                                               _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard case .some(.some(let value)) = try await group.next() else {
                throw HTTPFetchError("\(what) timed out after \(limit)")
            }
            return value
        }
    }
}
