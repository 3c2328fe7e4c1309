import Foundation
import Testing
import KeyboundTesting

/// The tests' process spawner: what the child gets, and what the test learns of its end.
@Suite("Test support: spawned processes")
struct SpawnedProcessTests {
    @Test("the child inherits standard streams only, however many descriptors the test process holds")
    func inheritsNothingElse() async throws {
        let held = (0..<64).map { _ in open("/dev/null", O_RDONLY) }
        defer { held.forEach { close($0) } }
        #expect(held.allSatisfy { $0 > 2 })
        let child = try SpawnedProcess("/bin/sh", ["-c", "ls /proc/$$/fd"])
        #expect(await child.wait() == .exited(0))
        let descriptors = Set(child.capturedOutput.split(separator: "\n").compactMap { Int($0) })
        // 0-2, and the directory descriptor ls holds while it lists.
        #expect(descriptors.subtracting([0, 1, 2]).count <= 1, "\(descriptors.sorted())")
        #expect(descriptors.isSuperset(of: [0, 1, 2]))
    }

    @Test("input, captured output, exit status and signals")
    func streamsAndEndings() async throws {
        let echo = try SpawnedProcess("/bin/sh", ["-c", "cat; echo err >&2; exit 3"], input: "hello")
        #expect(await echo.wait() == .exited(3))
        #expect(echo.capturedOutput == "hello" && echo.capturedErrors == "err\n")
        let sleeper = try SpawnedProcess("sleep", ["30"], stdout: .null, stderr: .null)
        #expect(sleeper.isRunning)
        sleeper.send(SIGKILL)
        #expect(await sleeper.wait() == .signalled(SIGKILL))
        #expect(!sleeper.isRunning && sleeper.termination?.status == 128 + SIGKILL)
        #expect(throws: SpawnedProcess.SpawnFailure.self) { try SpawnedProcess("/nonexistent/program", []) }
    }

    @Test("output still in the pipe when the child is reaped is read before the test judges it")
    func outputAfterTheExit() throws {
        // The child exits at once; a grandchild holding its standard output writes 0.3 s later, as
        // the last bytes of a real child can still be in the pipe when waitpid returns.
        let child = try SpawnedProcess("/bin/sh", ["-c", "(sleep 0.3; echo late) & exit 4"], stderr: .null)
        #expect(child.waitBlocking() == .exited(4))
        #expect(child.capturedOutput.isEmpty, "the grandchild wrote before the child was reaped")
        #expect(child.waitForCapturedOutput(seconds: 10))
        #expect(child.capturedOutput == "late\n")
    }
}
