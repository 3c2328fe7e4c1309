import Hummingbird
import KeyboundResourceKit

/// Keybound Files: a drive per user, written on the resource kit as its worked example
/// (`docs/resource-kit.md`). Its names, as registered at each issuer.
public enum FilesAPI {
    /// The `aud` of its access tokens.
    public static let audience = "api://files"
    /// The realm of its challenges.
    public static let realm = "keybound-files"
    /// Delegated: read the signed-in user's own drive.
    public static let readScope = "Files.Read"
    /// Delegated: read and write the signed-in user's own drive.
    public static let writeScope = "Files.ReadWrite"
    /// Application: list every drive of the application's own tenant.
    public static let readAllRole = "Files.Read.All"

    /// The operations an audit record names, read from the request line alone.
    @Sendable static func classify(_ request: Request) -> ResourceAttempt {
        let parts = ResourceAttempt.pathSegments(request)
        switch (request.method, parts.count) {
        case (.get, 3) where parts == ["me", "drive", "files"]: return ResourceAttempt(operation: "files.list")
        case (.get, 4) where parts[0...2] == ["me", "drive", "files"]: return ResourceAttempt(operation: "files.read", items: [parts[3]])
        case (.put, 4) where parts[0...2] == ["me", "drive", "files"]: return ResourceAttempt(operation: "files.write", items: [parts[3]])
        case (.get, 4) where parts[0] == "users" && parts[2...3] == ["drive", "files"]:
            return ResourceAttempt(operation: "files.list", resource: drive(parts[1]))
        default: return ResourceAttempt(operation: "other")
        }
    }

    /// The audit record's `resource` for the drive of the user `subject`.
    static func drive(_ subject: String) -> String { "drive/\(subject)" }
}
