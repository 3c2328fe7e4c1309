import Foundation
import KeyboundServer
import Testing

/// The event-stream caps in the config file and the environment (`streams.*`).
@Suite("Server: stream limits configuration")
struct ConfigurationStreamLimitsTests {
    typealias Config = ConfigurationFileTests

    @Test("defaults, file values and variables (a variable beats the file)")
    func applied() throws {
        let defaults = try Config.load(nil).streamLimits
        #expect(defaults.anonymousPerAddress == 8 && defaults.anonymousTotal == 256)
        #expect(defaults.authenticatedTotal == 512 && defaults.authenticatedPerClient == 32)
        let yaml = """
            streams:
              anonymous_per_address: 4
              anonymous_total: 100
              authenticated_total: 50
              authenticated_per_client: 5
            """
        let fromFile = try Config.load(yaml).streamLimits
        let values: [Int] = [fromFile.anonymousPerAddress, fromFile.anonymousTotal, fromFile.authenticatedTotal, fromFile.authenticatedPerClient]
        #expect(values == [4, 100, 50, 5])
        let overridden = try Config.load(yaml, ["KEYBOUND_STREAMS_ANONYMOUS_TOTAL": "300", "KEYBOUND_STREAMS_AUTHENTICATED_PER_CLIENT": "9"]).streamLimits
        #expect(overridden.anonymousTotal == 300 && overridden.authenticatedPerClient == 9 && overridden.anonymousPerAddress == 4)
    }

    @Test("out-of-range and inconsistent caps are refused, naming the key or variable", arguments: [
        ("streams:\n  anonymous_total: 0\n", [:], "streams.anonymous_total"),
        ("streams:\n  authenticated_total: 100001\n", [:], "streams.authenticated_total"),
        ("streams:\n  anonymous_per_address: \"8\"\n", [:], "streams.anonymous_per_address"),
        ("streams:\n  anonymous_per_address: 20\n  anonymous_total: 10\n", [:], "anonymous_per_address"),
        (nil, ["KEYBOUND_STREAMS_AUTHENTICATED_PER_CLIENT": "-1"], "KEYBOUND_STREAMS_AUTHENTICATED_PER_CLIENT"),
    ] as [(String?, [String: String], String)])
    func refused(yaml: String?, environment: [String: String], subject: String) throws {
        let error = Config.failure(yaml, environment)
        #expect(error?.description.contains(subject) == true, "\(error?.description ?? "loaded")")
    }
}
