/// A problem with the command line or its inputs: one line on stderr, exit code 2.
struct CLIError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
