import KeyboundLoopback

/// Free loopback ports. The provider's port must be known before it starts, because its issuer
/// URLs (the `iss` of its tokens, which the mail edge fetches keys from) contain it.
enum DrillPorts {
    /// `count` distinct ports the kernel just handed out for 127.0.0.1 (each bound to port 0, read, closed).
    static func free(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts < 100 else { throw StormDrillError("no free loopback port") }
            switch LoopbackPort.unused() {
            case .success(let port): if !ports.contains(port) { ports.append(port) }
            case .failure(let error): throw StormDrillError(error.description)
            }
        }
        return ports
    }
}
