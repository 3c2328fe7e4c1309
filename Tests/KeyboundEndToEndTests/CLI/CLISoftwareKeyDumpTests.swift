import Foundation
import Keybound
@testable import KeyboundDrill
import KeyboundStore
import KeyboundTesting
import Testing

/// The dump test: `keybound serve` signs tokens under load with software keys of every algorithm,
/// gdb's `gcore` dumps it mid-load, and the dump holds no signing key, no KEK and no audit signing
/// key in any encoding. A control process that loads the same keys the ordinary way is dumped and
/// scanned the same way, and there every key is found.
@Suite("CLI: software keys never reach a core dump", .serialized)
struct CLISoftwareKeyDumpTests {
    static let algorithms: [JWSAlgorithm] = [.es256, .es384, .edDSA, .rs256, .ps256]

    /// One issuer per algorithm, each with a client-credentials client, in a fresh data directory.
    struct Deployment {
        let data: URL
        let kek: KeyEncryptionKey
        let environment: [String: String]
        let port: Int
        let mailPort: Int
        var clients: [(issuerID: String, secret: String)] = []
        var base: String { "http://127.0.0.1:\(port)" }

        init() async throws {
            data = try CLIRunner.temporaryDirectory()
            kek = KeyEncryptionKey.generate()
            let kekFile = data.appendingPathComponent("test.kek")
            try Data((kek.base64Text + "\n").utf8).write(to: kekFile)
            _ = chmod(kekFile.path, 0o600)
            environment = CLIServer.environment(["KEYBOUND_KEK_FILE": kekFile.path])
            (port, mailPort) = try CLIServeProductionTests.ports()
            let store = data.appendingPathComponent("store")
            for algorithm in CLISoftwareKeyDumpTests.algorithms {
                let issuerID = "dump-\(algorithm.rawValue.lowercased())"
                let created = try await CLIRunner.run(["issuer", "create", "--data", store.path, "--json", "--id", issuerID,
                                                       "--url", "\(base)/\(issuerID)", "--kind", "tenant", "--tenant-id", "t-\(issuerID)",
                                                       "--alg", algorithm.rawValue], environment: environment)
                try #require(created.status == 0, "\(created.stderr)")
                try SQLiteProviderStore(directory: store).upsert(ResourceRecord(issuerID: issuerID, audience: "api://mail",
                                                                               scopes: ["Mail.Read"], roles: ["Mail.Read.All"]))
                let client = try await CLIRunner.run(["client", "create", "--data", store.path, "--json", "--issuer", issuerID, "--client-id", "daemon",
                                                      "--name", "Daemon", "--auth-method", "client_secret_basic", "--grant-type", "client_credentials",
                                                      "--role", "api://mail/Mail.Read.All"], environment: environment)
                try #require(client.status == 0, "\(client.stderr)")
                clients.append((issuerID, try #require(client.json?["client_secret"] as? String)))
            }
        }

        var store: URL { data.appendingPathComponent("store") }

        /// The seed of the audit log's signing key, from its private JWK beside the log.
        func auditSeed() throws -> [UInt8] {
            let file = store.appendingPathComponent("audit-signing-key.json")
            let jwk = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
            return try #require((jwk?["d"] as? String).flatMap { Base64URL.decode($0) }, "no audit signing key in \(file.path)")
        }

        /// Every secret the store holds, unsealed with the KEK: each software key (access-token and
        /// ID-token keys of every issuer), the KEK itself and the audit signing key.
        func secrets() async throws -> [DumpSecret] {
            let manager = try await KeyManager(store: try SQLiteKeyStore(directory: store), kek: kek)
            let sealer = KeySealer(kek: kek)
            var secrets: [DumpSecret] = []
            for record in try await manager.keys() where record.custody == .software && !record.sealedPrivateKey.isEmpty {
                secrets.append(try DumpSecret.signingKey(try await sealer.open(record.sealedPrivateKey, issuerID: record.issuerID, keyID: record.keyID)))
            }
            secrets.append(try DumpSecret.auditSigningKey(seed: try auditSeed()))
            secrets.append(DumpSecret.keyEncryptionKey(Array(try #require(Data(base64Encoded: kek.base64Text)))))
            return secrets
        }
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var raised = false
        func set() { lock.withLock { raised = true } }
        var value: Bool { lock.withLock { raised } }
    }

    @Test("under signing load, a gcore dump of serve holds none of its signing keys, its KEK or its audit signing key, in any encoding; the same scan finds every one of them in a process that loads them the ordinary way")
    func dumpHoldsNoKeys() async throws {
        let deployment = try await Deployment()
        defer { try? FileManager.default.removeItem(at: deployment.data) }
        let server = try CLIServer(["serve", "--data", deployment.store.path, "--port", "\(deployment.port)", "--public-url", deployment.base,
                                    "--metrics-listen", "off", "--allow-core-dumps", "--with-mail", "--mail-port", "\(deployment.mailPort)"], environment: deployment.environment)
        defer { server.stop() }
        // The start-up lines arrive one by one: wait for the one the check reads.
        try #require(try await server.waitFor("core dumps:"), "serve did not start:\n\(server.text)")
        #expect(server.text.contains("core dumps: ALLOWED"))

        // Load: four workers ask every issuer for tokens until told to stop; the dump is taken mid-load.
        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        let issued = Counter()
        let stop = Flag()
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var index = worker
                        while !stop.value {
                            let (issuerID, secret) = deployment.clients[index % deployment.clients.count]
                            index += 1
                            let reply = try? await http.postForm("\(deployment.base)/\(issuerID)/token",
                                                                 [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                                                 basic: ("daemon", secret))
                            if reply?.status == 200 { issued.add(issuerID) }
                        }
                    }
                }
            }
        }
        let warmUp = Date().addingTimeInterval(60)
        while Date() < warmUp, issued.issuers.count < Self.algorithms.count || issued.total < 200 { try await Task.sleep(for: .milliseconds(100)) }
        let before = issued.total
        let dumpDirectory = deployment.data.appendingPathComponent("dumps")
        try FileManager.default.createDirectory(at: dumpDirectory, withIntermediateDirectories: true)
        let dump = try await CoreDumpScanner.dump(pid: server.process.pid, into: dumpDirectory)
        stop.set()
        await load.value
        await http.shutdown()
        #expect(issued.issuers.count == Self.algorithms.count, "tokens issued per issuer: \(issued.perIssuer)")
        #expect(issued.total > before, "the load was still running around the dump (\(before) before, \(issued.total) after)")
        server.stop()

        let secrets = try await deployment.secrets()
        #expect(secrets.count == 2 * Self.algorithms.count + 2, "\(secrets.map(\.label))")
        let serveFindings = try CoreDumpScanner.findings(in: dump, secrets: secrets)
        let dumpSize = (try? FileManager.default.attributesOfItem(atPath: dump.path)[.size] as? Int) ?? 0
        #expect(dumpSize > 1_000_000, "a real dump (\(dumpSize) bytes)")
        for (label, found) in serveFindings {
            #expect(found.isEmpty, "serve's dump holds \(label) as \(found)")
        }
        try? FileManager.default.removeItem(at: dump)

        // The control: the same keys, loaded as text and used through the same swift-crypto types, are all found.
        let control = try await Self.controlDump(deployment: deployment, into: dumpDirectory)
        defer { try? FileManager.default.removeItem(at: control) }
        for (label, found) in try CoreDumpScanner.findings(in: control, secrets: secrets) {
            #expect(!found.isEmpty, "the control's dump does not hold \(label): the scan would be vacuous")
        }
    }

    /// Runs the control process on the store's keys, dumps it and stops it.
    static func controlDump(deployment: Deployment, into directory: URL) async throws -> URL {
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: deployment.store), kek: deployment.kek)
        let sealer = KeySealer(kek: deployment.kek)
        var keys: [String] = []
        for record in try await manager.keys() where record.custody == .software && !record.sealedPrivateKey.isEmpty {
            let key = try await sealer.open(record.sealedPrivateKey, issuerID: record.issuerID, keyID: record.keyID)
            keys.append(String(decoding: JSONWriter().bytes(.object(key.exportPrivateJWK())), as: UTF8.self))
        }
        let audit = try deployment.auditSeed()
        let kek = deployment.kek.base64Text
        let input = directory.appendingPathComponent("control.json")
        try Data("{\"keys\":[\(keys.joined(separator: ","))],\"kek\":\"\(kek)\",\"audit\":\"\(Data(audit).base64EncodedString())\"}".utf8).write(to: input)
        let fixture = CLIRunner.executable.deletingLastPathComponent().appendingPathComponent("KeyboundDumpFixture")
        let process = try SpawnedProcess(fixture.path, [input.path], environment: CLIServer.environment(), stdout: .capture, stderr: .standardOutput)
        defer {
            process.send(SIGKILL)
            _ = process.waitBlocking()
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning, !process.capturedOutput.contains("ready") { try await Task.sleep(for: .milliseconds(50)) }
        try #require(process.capturedOutput.contains("ready"), "the control did not start: \(process.capturedOutput)")
        return try await CoreDumpScanner.dump(pid: process.pid, into: directory)
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        func add(_ issuerID: String) { lock.withLock { counts[issuerID, default: 0] += 1 } }
        var total: Int { lock.withLock { counts.values.reduce(0, +) } }
        var issuers: Set<String> { lock.withLock { Set(counts.keys) } }
        var perIssuer: [String: Int] { lock.withLock { counts } }
    }
}
