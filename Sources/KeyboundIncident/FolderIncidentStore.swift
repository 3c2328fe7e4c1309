import Foundation

/// Incidents as folders under a data directory's `incidents/` (the embedded default): each
/// incident's `incident.json` and its documents as files, written atomically (``IncidentFolder``).
public struct FolderIncidentStore: IncidentStore {
    /// The folder holding one folder per incident.
    public let root: URL

    /// The incidents under `root` (usually `<data>/incidents`).
    public init(root: URL) { self.root = root }

    /// The incidents of a data directory: `<data>/incidents`.
    public init(dataDirectory: URL) { self.init(root: dataDirectory.appendingPathComponent("incidents", isDirectory: true)) }

    public var location: String { root.path }

    /// The folder of incident `id`.
    public func folder(id: String) -> IncidentFolder { IncidentFolder(root: root, id: id) }

    public func incidents() async throws(IncidentError) -> [IncidentRecord] { try list() }

    public func incident(id: String) async throws(IncidentError) -> IncidentRecord? {
        guard Self.isIncidentID(id) else { return nil }
        return try folder(id: id).load()
    }

    public func open(_ record: IncidentRecord) async throws(IncidentError) -> IncidentRecord {
        for existing in try list() where existing.issuerID == record.issuerID && existing.keyID == record.keyID {
            return existing
        }
        try folder(id: record.id).save(record)
        return record
    }

    public func save(_ record: IncidentRecord) async throws(IncidentError) { try folder(id: record.id).save(record) }

    public func write(_ text: String, named name: String, incidentID: String) async throws(IncidentError) {
        guard Self.isDocumentName(name) else { throw IncidentError(.invalidDocumentName, "'\(name)' cannot name an incident document") }
        try folder(id: incidentID).write(text, named: name)
    }

    public func documentNames(incidentID: String) async throws(IncidentError) -> [String] {
        guard Self.isIncidentID(incidentID) else { return [] }
        let base = folder(id: incidentID).url
        var names: [String] = []
        for prefix in ["", "notices/"] {
            let directory = base.appendingPathComponent(prefix, isDirectory: true)
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for entry in entries where Self.isDocumentName(prefix + entry) {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent(entry).path, isDirectory: &isDirectory),
                   !isDirectory.boolValue {
                    names.append(prefix + entry)
                }
            }
        }
        return names.sorted()
    }

    public func document(named name: String, incidentID: String) async throws(IncidentError) -> String? {
        guard Self.isIncidentID(incidentID), Self.isDocumentName(name) else { return nil }
        let file = folder(id: incidentID).url.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do { return try String(contentsOf: file, encoding: .utf8) } catch { throw IncidentError(.storage, "cannot read '\(file.path)': \(error)") }
    }

    /// Every incident under `root`, oldest first.
    func list() throws(IncidentError) -> [IncidentRecord] {
        let names: [String]
        do {
            guard FileManager.default.fileExists(atPath: root.path) else { return [] }
            names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("INC-") }
        } catch {
            throw IncidentError(.storage, "cannot list '\(root.path)': \(error)")
        }
        var records: [IncidentRecord] = []
        for name in names.sorted() {
            if let record = try folder(id: name).load() { records.append(record) }
        }
        return records.sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }
    }
}
