/// Why an incident response could not start or continue. The response stops at the failing
/// step; running it again resumes there.
public struct IncidentError: Error, Sendable, CustomStringConvertible {
    /// One line.
    public let description: String
    /// An error.
    public init(_ description: String) { self.description = description }
}
