import ArgumentParser
import KeyboundIncident

/// The crash test's hook for `keybound incident respond`: with `KEYBOUND_TEST_KILL_AFTER=<step>`,
/// a debug build exits abruptly (status 137) right after that step's effect, before the step is
/// recorded, so that the test can show a rerun completes without repeating it.
///
/// Only debug builds, which the tests run, have the hook. A release build refuses to run while the
/// variable is set, rather than ignoring it: the hook is not a switch an operator can turn on.
enum IncidentKillHook {
    /// The environment variable that names the step.
    static let variable = "KEYBOUND_TEST_KILL_AFTER"

    /// The step to exit after, if the variable is set (and this is a debug build).
    static func step(in environment: [String: String]) throws -> IncidentStep? {
        guard let value = environment[variable] else { return nil }
        #if DEBUG
        guard let step = IncidentStep(rawValue: value) else {
            throw ValidationError("\(variable) must be one of \(IncidentStep.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return step
        #else
        throw ValidationError("\(variable) is a test hook of debug builds; this release build refuses to run while it is set")
        #endif
    }
}
