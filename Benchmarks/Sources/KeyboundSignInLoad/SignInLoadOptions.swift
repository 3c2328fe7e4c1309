import Foundation

/// Command-line options of both modes (`serve` and `drive`); see Benchmarks/README.md.
struct SignInLoadOptions: Sendable {
    var mode = ""
    var port = 18_380
    // serve
    var bcryptCost = 12
    var hashThreads: Int?
    var hashQueue: Int?
    var knownUsers = 32
    // drive
    var clientID = ""
    var clientSecret = ""
    var publicClientID = ""
    var redirectURI = ""
    var seconds = 10.0
    var settle = 2.0
    var tokenConnections = 16
    var floodAddresses = 16
    var floodConnectionsPerAddress = 4
    var floodRate = 200.0
    var usernames = 64
    var healthInterval = 0.005
    var json: String?

    static func parse(_ arguments: [String]) -> SignInLoadOptions {
        var options = SignInLoadOptions()
        var iterator = arguments.dropFirst().makeIterator()
        options.mode = iterator.next() ?? ""
        func value(_ name: String) -> String {
            guard let next = iterator.next() else { fail("\(name) needs a value") }
            return next
        }
        func number(_ name: String) -> Double {
            guard let number = Double(value(name)), number >= 0 else { fail("\(name) needs a non-negative number") }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "--port": options.port = Int(number(argument))
            case "--bcrypt-cost": options.bcryptCost = Int(number(argument))
            case "--hash-threads": options.hashThreads = Int(number(argument))
            case "--hash-queue": options.hashQueue = Int(number(argument))
            case "--known-users": options.knownUsers = Int(number(argument))
            case "--client": options.clientID = value(argument); options.clientSecret = value(argument)
            case "--public-client": options.publicClientID = value(argument); options.redirectURI = value(argument)
            case "--seconds": options.seconds = number(argument)
            case "--settle": options.settle = number(argument)
            case "--token-connections": options.tokenConnections = max(1, Int(number(argument)))
            case "--flood-addresses": options.floodAddresses = max(1, min(200, Int(number(argument))))
            case "--flood-connections-per-address": options.floodConnectionsPerAddress = max(1, Int(number(argument)))
            case "--flood-rate": options.floodRate = max(1, number(argument))
            case "--usernames": options.usernames = max(2, Int(number(argument)))
            case "--json": options.json = value(argument)
            default: fail("unknown option \(argument)")
            }
        }
        guard options.mode == "serve" || options.mode == "drive" else {
            fail("usage: KeyboundSignInLoad serve [--port P] | drive --port P --client ID SECRET --public-client ID REDIRECT [options]")
        }
        if options.mode == "drive" && (options.clientID.isEmpty || options.publicClientID.isEmpty) {
            fail("drive needs --client ID SECRET and --public-client ID REDIRECT (printed by serve)")
        }
        return options
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("KeyboundSignInLoad: \(message)\n".utf8))
        exit(2)
    }
}
