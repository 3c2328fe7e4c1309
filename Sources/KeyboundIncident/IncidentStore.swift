/// Where incidents live: each incident's state (``IncidentRecord``) and its documents (the hunt,
/// the timeline, the affected organisations, one notice per organisation), by file name.
///
/// Two stores: ``FolderIncidentStore`` (the embedded default: `<data>/incidents/<id>/`, files an
/// operator reads directly) and ``PostgresIncidentStore`` (the shared database, for many nodes;
/// `keybound incident export` writes an incident's documents out as files).
public protocol IncidentStore: Sendable {
    /// Where the incidents are (a folder, or a database URL without its password).
    var location: String { get }

    /// Every incident, oldest first.
    func incidents() async throws(IncidentError) -> [IncidentRecord]

    /// The incident `id`, if there is one.
    func incident(id: String) async throws(IncidentError) -> IncidentRecord?

    /// The incident of `record`'s (issuer, key) if there is one (open or closed), else `record`,
    /// now recorded. Two runs racing to open the same key's incident get the same one.
    func open(_ record: IncidentRecord) async throws(IncidentError) -> IncidentRecord

    /// Records the incident's state (after a step).
    func save(_ record: IncidentRecord) async throws(IncidentError)

    /// Writes (or rewrites) the document `name` of incident `incidentID`: a relative file name such
    /// as `hunt.md` or `notices/contoso.json`.
    func write(_ text: String, named name: String, incidentID: String) async throws(IncidentError)

    /// The names of the incident's documents, sorted.
    func documentNames(incidentID: String) async throws(IncidentError) -> [String]

    /// The text of one document, if it exists.
    func document(named name: String, incidentID: String) async throws(IncidentError) -> String?
}

extension IncidentStore {
    /// Whether `name` can name a document: a relative path of safe parts, never `..`, never the
    /// state file.
    static func isDocumentName(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 200, parts.count <= 2, name != "incident.json" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && !part.hasPrefix(".") && part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
        }
    }

    /// Whether `id` can name an incident (`INC-…`, as ``IncidentResponder`` makes them).
    static func isIncidentID(_ id: String) -> Bool {
        id.hasPrefix("INC-") && id.utf8.count <= 200 && !id.contains("/") && !id.contains("..")
    }
}
