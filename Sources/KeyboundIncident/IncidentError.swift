import Keybound

/// Why an incident response could not start or continue. The response stops at the failing
/// step; running it again resumes there.
public typealias IncidentError = CodedError<IncidentErrorCode>

/// The codes of ``IncidentError``.
public enum IncidentErrorCode: String, ErrorCode, CaseIterable {
    /// The incident's folder or tables could not be read or written.
    case storage = "incident_storage_error"
    /// The issuer has no key with that kid.
    case keyNotFound = "key_not_found"
    /// After the revocation the issuer has no active key of a purpose (the responder could not activate one).
    case noActiveKey = "no_active_key"
    /// No incident with that id (of that key and issuer).
    case incidentNotFound = "incident_not_found"
    /// A document name that is not one an incident has (`timeline.md`, `notices/<tenant>.md`, …).
    case invalidDocumentName = "invalid_document_name"
}
