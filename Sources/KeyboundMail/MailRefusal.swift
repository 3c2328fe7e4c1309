/// A refusal decided inside a route, with where the attempt was aimed (for the audit record).
struct MailRefusal: Error {
    let error: MailError
    let target: AuditTarget

    init(_ error: MailError, _ target: AuditTarget) {
        self.error = error
        self.target = target
    }
}
