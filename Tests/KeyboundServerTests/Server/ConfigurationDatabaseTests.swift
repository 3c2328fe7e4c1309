import Foundation
import KeyboundServer
import Testing

/// The config file's `database` key and `KEYBOUND_DATABASE`: checked when read, below the flags.
@Suite("Server: configuration of the database")
struct ConfigurationDatabaseTests {
    @Test("a relative sqlite directory in a file is relative to the file; the environment overrides the file")
    func relativeAndOverridden() throws {
        let scratch = try ConfigurationFileTests.Scratch()
        defer { scratch.remove() }
        let path = try scratch.write("database: sqlite:stores\n")
        let fromFile = try ConfigurationFile.load(path: path, environment: [:], base: ServerConfiguration())
        #expect(fromFile.database == "sqlite:" + scratch.directory.appendingPathComponent("stores").path)
        let absolute = try ConfigurationFile.load(path: try scratch.write("database: sqlite:/srv/keybound\n", to: "b.yaml"),
                                                  environment: [:], base: ServerConfiguration())
        #expect(absolute.database == "sqlite:/srv/keybound")
        let overridden = try ConfigurationFile.load(path: path, environment: ["KEYBOUND_DATABASE": "postgres://kb@127.0.0.1/identity"],
                                                    base: ServerConfiguration())
        #expect(overridden.database == "postgres://kb@127.0.0.1/identity")
        #expect(try ConfigurationFile.load(path: nil, environment: [:], base: ServerConfiguration()).database == nil)
    }

    @Test("a bad database value is an error that names the key and never repeats a password", arguments: [
        "database: mysql://kb@x/y\n", "database: postgres://kb:hunter22@127.0.0.1/identity\n",
        "database: postgres://kb@db.example/identity?sslmode=disable\n", "database: 42\n",
    ])
    func refused(yaml: String) throws {
        let scratch = try ConfigurationFileTests.Scratch()
        defer { scratch.remove() }
        let path = try scratch.write(yaml)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationFile.load(path: path, environment: [:], base: ServerConfiguration())
        }
        #expect(error?.description.contains("database") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("hunter22") == false)
    }
}
