import Foundation

/// An incident's folder: `incident.json` (the state), the hunt report, the timeline, the list of
/// affected organisations, and `notices/<tenant>.md|.json`. Files are written to a temporary name,
/// synced and renamed, so a kill never leaves a half-written file.
public struct IncidentFolder: Sendable {
    /// The folder.
    public let url: URL

    /// The folder of incident `id` under `root` (usually `<data>/incidents`).
    public init(root: URL, id: String) { url = root.appendingPathComponent(id, isDirectory: true) }

    /// The state file.
    public var stateFile: URL { url.appendingPathComponent("incident.json") }
    /// The notices folder.
    public var noticesFolder: URL { url.appendingPathComponent("notices", isDirectory: true) }

    /// The recorded state, if the incident exists.
    public func load() throws(IncidentError) -> IncidentRecord? {
        guard FileManager.default.fileExists(atPath: stateFile.path) else { return nil }
        do {
            return try Self.decoder.decode(IncidentRecord.self, from: Data(contentsOf: stateFile))
        } catch {
            throw IncidentError(.storage, "cannot read '\(stateFile.path)': \(error)")
        }
    }

    /// Writes the state atomically.
    public func save(_ record: IncidentRecord) throws(IncidentError) {
        let data: Data
        do { data = try Self.encoder.encode(record) } catch { throw IncidentError(.storage, "cannot encode the incident state: \(error)") }
        try write(data, to: stateFile)
    }

    /// Writes `text` to `name` inside the folder (or a subfolder), atomically.
    public func write(_ text: String, named name: String) throws(IncidentError) {
        try write(Data(text.utf8), to: url.appendingPathComponent(name))
    }

    func write(_ data: Data, to file: URL) throws(IncidentError) {
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(UUID().uuidString).tmp")
            guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw IncidentError(.storage, "cannot create '\(temporary.path)'")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.synchronize()
            try handle.close()
            // rename(2) replaces the old file atomically: a reader sees the old or the new, never half.
            guard rename(temporary.path, file.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                throw IncidentError(.storage, "cannot move the new '\(file.lastPathComponent)' into place (errno \(errno))")
            }
        } catch let error as IncidentError {
            throw error
        } catch {
            throw IncidentError(.storage, "cannot write '\(file.path)': \(error)")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
