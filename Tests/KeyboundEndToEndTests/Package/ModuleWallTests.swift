import Foundation
import KeyboundTesting
import Testing

/// The module walls, read from the package as SwiftPM sees it (`swift package describe`): each
/// library's tests depend on that library and the testing products alone, so that a module is
/// compiled and tested against only what it depends on.
@Suite("Package: module walls")
struct ModuleWallTests {
    /// The modules each test target tests. It may depend on them, on what they depend on inside
    /// the package, and on its testing products.
    static let modulesUnderTest: [String: Set<String>] = [
        "KeyboundTests": ["Keybound"],
        "KeyboundStoreTests": ["KeyboundStore"],
        "KeyboundValidationTests": ["KeyboundValidation", "KeyboundHummingbird"],
        "KeyboundAuditTests": ["KeyboundAudit"],
        "KeyboundServerTests": ["KeyboundServer"],
        "KeyboundMailTests": ["KeyboundMail"],
        "KeyboundResourceTests": ["KeyboundResourceKit", "KeyboundFiles"],
        "KeyboundDetectionTests": ["KeyboundHunt", "KeyboundIncident"],
        "KeyboundPKCS11Tests": ["KeyboundPKCS11"],
    ]
    /// The core's and the store's tests may use only KeyboundTesting.
    static func testingProducts(of test: String) -> Set<String> {
        ["KeyboundTests", "KeyboundStoreTests"].contains(test) ? ["KeyboundTesting"] : ["KeyboundTesting", "KeyboundHummingbirdTesting"]
    }
    /// The one test target that may depend on several libraries and on the executable.
    static let endToEnd = "KeyboundEndToEndTests"
    /// Test-support products of other packages a test target may use beside its modules' own.
    static let externalTestingProducts: Set<String> = ["HummingbirdTesting"]

    struct Target {
        let name: String
        let type: String
        let targets: [String]
        let products: [String]
    }

    /// The package's targets, as `swift package describe --type json` lists them.
    static func describe() async throws -> [String: Target] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        // A scratch path of its own: the running `swift test` holds the package's `.build` lock,
        // and `describe` reads only the manifest (it neither resolves nor writes anything there).
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-describe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outcome = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "swift", "package", "--package-path", root.path, "--scratch-path", scratch.path, "describe", "--type", "json"])
        try #require(outcome.status == 0, "swift package describe failed: \(outcome.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let list = try #require(json["targets"] as? [[String: Any]])
        var targets: [String: Target] = [:]
        for entry in list {
            let name = try #require(entry["name"] as? String)
            targets[name] = Target(name: name, type: try #require(entry["type"] as? String),
                                   targets: entry["target_dependencies"] as? [String] ?? [],
                                   products: entry["product_dependencies"] as? [String] ?? [])
        }
        return targets
    }

    /// `names` and every target of the package they depend on, directly or not.
    static func closure(of names: Set<String>, in targets: [String: Target]) -> Set<String> {
        var seen: Set<String> = [], queue = Array(names)
        while let next = queue.popLast() {
            guard seen.insert(next).inserted, let target = targets[next] else { continue }
            queue.append(contentsOf: target.targets)
        }
        return seen
    }

    /// The external products `name` uses, directly or through the package's targets it depends on.
    static func products(of name: String, in targets: [String: Target]) -> Set<String> {
        var seen: Set<String> = [], products: Set<String> = [], queue = [name]
        while let next = queue.popLast() {
            guard seen.insert(next).inserted, let target = targets[next] else { continue }
            products.formUnion(target.products)
            queue.append(contentsOf: target.targets)
        }
        return products
    }

    @Test("every test target but the end-to-end one depends only on its modules, their dependencies and its testing products")
    func testTargetsStayInsideTheirWalls() async throws {
        let targets = try await Self.describe()
        let tests = targets.values.filter { $0.type == "test" }
        #expect(Set(tests.map(\.name)) == Set(Self.modulesUnderTest.keys).union([Self.endToEnd]),
                "a test target was added or removed: name the modules it tests here")
        for test in tests where test.name != Self.endToEnd {
            let modules = try #require(Self.modulesUnderTest[test.name])
            let testing = Self.testingProducts(of: test.name)
            let allowed = Self.closure(of: modules, in: targets).union(testing)
            let extra = Set(test.targets).subtracting(allowed)
            #expect(extra.isEmpty, "\(test.name) depends on \(extra.sorted()) beside its modules, their dependencies and \(testing.sorted())")
            let missing = modules.subtracting(test.targets)
            #expect(missing.isEmpty, "\(test.name) does not depend on its module \(missing.sorted())")
            // External products: only what the modules under test and the testing products use themselves.
            let reachable = allowed.reduce(into: Self.externalTestingProducts) { $0.formUnion(Self.products(of: $1, in: targets)) }
            let foreign = Set(test.products).subtracting(reachable)
            #expect(foreign.isEmpty, "\(test.name) uses \(foreign.sorted()), which its modules do not depend on")
        }
    }

    @Test("KeyboundTesting depends on the core and the dependency-free loopback helper alone, so the core's tests compile no storage or HTTP module")
    func coreTestingProductIsCoreOnly() async throws {
        let targets = try await Self.describe()
        let testing = try #require(targets["KeyboundTesting"])
        #expect(testing.targets == ["Keybound", "KeyboundLoopback"])
        #expect(testing.products.isEmpty)
        let loopback = try #require(targets["KeyboundLoopback"])
        #expect(loopback.targets.isEmpty && loopback.products.isEmpty)
        let core = try #require(targets["Keybound"])
        #expect(Self.products(of: "KeyboundTests", in: targets).isSubset(of: Set(core.products)),
                "the core's tests reach \(Self.products(of: "KeyboundTests", in: targets).subtracting(core.products).sorted())")
    }

    @Test("only the end-to-end tests depend on the executable")
    func onlyEndToEndRunsTheExecutable() async throws {
        let targets = try await Self.describe()
        let executables = Set(targets.values.filter { $0.type == "executable" }.map(\.name))
        for test in targets.values where test.type == "test" && test.name != Self.endToEnd {
            #expect(Set(test.targets).isDisjoint(with: executables), "\(test.name) depends on an executable")
        }
    }
}
