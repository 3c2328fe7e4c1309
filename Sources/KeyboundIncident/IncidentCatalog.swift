import Foundation

/// The incidents of a data directory (`keybound incident list|show`).
public enum IncidentCatalog {
    /// Every incident under `root`, oldest first.
    public static func list(root: URL) throws(IncidentError) -> [IncidentRecord] {
        let names: [String]
        do {
            guard FileManager.default.fileExists(atPath: root.path) else { return [] }
            names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("INC-") }
        } catch {
            throw IncidentError("cannot list '\(root.path)': \(error)")
        }
        var records: [IncidentRecord] = []
        for name in names.sorted() {
            if let record = try IncidentFolder(root: root, id: name).load() { records.append(record) }
        }
        return records.sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }
    }
}
