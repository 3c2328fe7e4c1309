import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundResourceKit
import KeyboundValidation

/// Keybound Mail's protected routes. Every handler runs through the kit's `ResourceGuard/serve`,
/// which enforces the route's requirement and records exactly one audit record per request.
struct MailRoutes: Sendable {
    let service: MailService
    let resourceGuard: ResourceGuard
    private let readMine: IdentityRequirement
    private let sendMine: IdentityRequirement
    private let readUser: IdentityRequirement
    private let readAudit: IdentityRequirement

    init(service: MailService, resourceGuard: ResourceGuard) {
        self.service = service
        self.resourceGuard = resourceGuard
        let issuers = service.configuration.allowedIssuers
        // The issuer set is validated non-empty by MailConfiguration and the names are constants.
        readMine = try! IdentityRequirement(allowedIssuers: issuers, anyOfScopes: [MailAPI.readScope], principal: .delegated)
        sendMine = try! IdentityRequirement(allowedIssuers: issuers, anyOfScopes: [MailAPI.sendScope], principal: .delegated)
        readUser = try! IdentityRequirement(allowedIssuers: issuers, anyOfScopes: [MailAPI.readScope],
                                            anyOfRoles: [MailAPI.readAllRole])
        readAudit = try! IdentityRequirement(allowedIssuers: issuers, anyOfRoles: [MailAPI.auditReadRole], principal: .application)
    }

    func register(on group: RouterGroup<MailRequestContext>) {
        group.get("/me/messages") { request, context in
            try await resourceGuard.serve(request, context, operation: MailOperation.listMessages.rawValue, requirement: readMine) { identity in
                let mailbox = try await ownMailbox(identity)
                let size = try listSize(request)
                let messages = try await store { try await service.store.messages(in: mailbox, limit: size) }
                return (MailJSON.list(messages), ResourceTarget(tenant: mailbox.tenant, resource: mailbox.address, items: messages.map(\.id)))
            }
        }
        group.get("/me/messages/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await resourceGuard.serve(request, context, operation: MailOperation.readMessage.rawValue, requirement: readMine) { identity in
                let mailbox = try await ownMailbox(identity)
                let target = ResourceTarget(tenant: mailbox.tenant, resource: mailbox.address, items: [id])
                guard let message = try await store({ try await service.store.message(id: id) }) else {
                    throw ResourceRefusal(.notFound("message_not_found", "no message '\(id)' in this mailbox"), target)
                }
                // Another mailbox's message answers exactly like a missing one; only the audit log tells them apart.
                guard message.mailbox == mailbox.address else {
                    throw ResourceRefusal(.notFound("message_not_owned", "no message '\(id)' in this mailbox"), target)
                }
                return (MailJSON.message(message), target)
            }
        }
        group.post("/me/sendMail") { request, context in
            try await resourceGuard.serve(request, context, operation: MailOperation.sendMail.rawValue, requirement: sendMine) { identity in
                let mailbox = try await ownMailbox(identity)
                var target = ResourceTarget(tenant: mailbox.tenant, resource: mailbox.address)
                let limit = service.configuration.maximumRequestBytes
                let body: ByteBuffer
                do { body = try await request.body.collect(upTo: limit) } catch {
                    throw ResourceRefusal(MailError(.contentTooLarge, error: "invalid_request", code: "request_too_large",
                                                "the request body is larger than \(limit) bytes"), target)
                }
                let draft: SendMailRequest
                do { draft = try SendMailRequest.parse(Array(buffer: body), maximumRecipients: service.configuration.maximumRecipients) } catch {
                    throw ResourceRefusal(.invalidRequest("\(error)"), target)
                }
                let sent = try await send(draft, from: mailbox)
                target.items = [sent.id]
                return (MailJSON.accepted(sent), target)
            }
        }
        group.get("/users/:user/messages") { request, context in
            let user = try context.parameters.require("user")
            return try await resourceGuard.serve(request, context, operation: MailOperation.listMessages.rawValue, requirement: readUser) { identity in
                let mailbox = try await addressedMailbox(user, identity)
                let size = try listSize(request)
                let messages = try await store { try await service.store.messages(in: mailbox, limit: size) }
                return (MailJSON.list(messages), ResourceTarget(tenant: mailbox.tenant, resource: mailbox.address, items: messages.map(\.id)))
            }
        }
        group.get("/audit/records") { request, context in
            try await resourceGuard.serve(request, context, operation: MailOperation.readAudit.rawValue, requirement: readAudit) { identity in
                // The tenant is (issuer, tid) as verified: a tid claimed under another issuer's key reads nothing.
                let tenant = try servedTenant(identity)
                let target = ResourceTarget(tenant: tenant)
                let (after, limit) = try auditPage(request, target)
                let records: [AuditRecord]
                do { records = try await service.audit.records(of: tenant, resourceServer: MailAPI.audience, after: after, limit: limit) } catch {
                    throw MailError.auditUnavailable
                }
                return (MailJSON.auditPage(records, limit: limit), target)
            }
        }
    }

    /// The tenant (issuer, tid) a verified token speaks in, if Keybound Mail serves it: an
    /// enterprise tenant or a consumer realm. A token of an issuer without tenants (or of a
    /// templated one) reaches no mailbox and no feed.
    private func servedTenant(_ identity: KeyboundIdentity) throws -> Tenant {
        guard let tenant = identity.tenant, tenant.kind == .tenant || tenant.kind == .consumer else {
            throw ResourceRefusal(.accessDenied("tenant_not_served", "Keybound Mail serves enterprise tenants and consumer realms; this token names neither"),
                              ResourceTarget(tenant: identity.tenant))
        }
        return tenant
    }

    /// The signed-in user's mailbox, created on first use when the configuration allows. The
    /// mailbox is the user's at the token's own issuer, in the tenant that issuer's tokens carry.
    private func ownMailbox(_ identity: KeyboundIdentity) async throws -> Mailbox {
        let tenant = try servedTenant(identity)
        let target = ResourceTarget(tenant: tenant)
        guard let subject = identity.subject else {
            throw ResourceRefusal(.accessDenied("mailbox_not_found", "the token names no user (sub)"), target)
        }
        if let mailbox = try await store({ try await service.store.mailbox(issuer: tenant.issuer, subject: subject) }) {
            // A mailbox filed under another tenant of the same issuer is not this tenant's to serve.
            guard mailbox.tenant == tenant else {
                throw ResourceRefusal(.accessDenied("cross_tenant", "the user's mailbox is not in the token's tenant"), target)
            }
            return mailbox
        }
        guard service.configuration.provisionOnFirstUse else {
            throw ResourceRefusal(.notFound("mailbox_not_found", "the signed-in user has no mailbox here"), target)
        }
        let created = Mailbox(issuer: tenant.issuer, tenantID: tenant.tenantID, subject: subject, address: "\(subject)@\(tenant.tenantID)",
                              displayName: subject, createdAt: service.now())
        do {
            return try await service.store.provision(created, messages: MailSeed.messages(for: created, now: service.now()))
        } catch where error.code == .addressTaken {
            // Someone else's mailbox has this address: never hand it over, never overwrite it.
            throw ResourceRefusal(.accessDenied("mailbox_address_taken", "the address '\(created.address)' belongs to another mailbox"), target)
        } catch {
            throw storeFailure(error)
        }
    }

    /// The mailbox `user` names (address or owner subject), if the identity may read it: an
    /// application of the same tenant (issuer and tid) with `Mail.Read.All`, or the owner with `Mail.Read`.
    private func addressedMailbox(_ user: String, _ identity: KeyboundIdentity) async throws -> Mailbox {
        let tenant = try servedTenant(identity)
        let candidates = try await store { try await service.store.mailboxes(named: user) }
        let target = ResourceTarget(tenant: tenant, resource: user)
        if identity.isApplication {
            guard identity.hasRole(MailAPI.readAllRole) else {
                throw ResourceRefusal(.insufficientScope("insufficient_scope", "application tokens need the role \(MailAPI.readAllRole)", scope: nil), target)
            }
            if let mailbox = candidates.first(where: { $0.tenant == tenant }) { return mailbox }
            if !candidates.isEmpty {
                throw ResourceRefusal(.accessDenied("cross_tenant", "the mailbox '\(user)' is not in the application's tenant"), target)
            }
        } else {
            guard identity.hasScope(MailAPI.readScope) else {
                throw ResourceRefusal(.insufficientScope("insufficient_scope", "delegated tokens need the scope \(MailAPI.readScope)",
                                                     scope: MailAPI.readScope), target)
            }
            if let subject = identity.subject,
               let mailbox = candidates.first(where: { $0.isOwned(byIssuer: tenant.issuer, subject: subject) && $0.tenant == tenant }) {
                return mailbox
            }
            if !candidates.isEmpty {
                throw ResourceRefusal(.accessDenied("mailbox_not_owned", "a delegated token reads only its own user's mailbox"), target)
            }
        }
        throw ResourceRefusal(.notFound("mailbox_not_found", "no mailbox '\(user)'"), target)
    }

    /// Stores the sender's copy and delivers a copy to each recipient with a mailbox here.
    private func send(_ draft: SendMailRequest, from mailbox: Mailbox) async throws -> MailMessage {
        let now = service.now()
        let sent = MailMessage(id: MailSeed.messageID(), mailbox: mailbox.address, folder: .sent, from: mailbox.address,
                               to: draft.recipients, subject: draft.subject, body: draft.body, receivedAt: now)
        var deliveries: [MailMessage] = []
        for recipient in Set(draft.recipients) {
            guard let box = try await store({ try await service.store.mailbox(address: recipient) }) else { continue }
            deliveries.append(MailMessage(id: MailSeed.messageID(), mailbox: box.address, folder: .inbox, from: mailbox.address,
                                          to: draft.recipients, subject: draft.subject, body: draft.body, receivedAt: now))
        }
        try await store { try await service.store.store(sent: sent, deliveries: deliveries) }
        return sent
    }

    private func listSize(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["$top"] ?? request.uri.queryParameters["top"] else {
            return service.configuration.defaultListSize
        }
        guard let size = Int(String(text)), (1...service.configuration.maximumListSize).contains(size) else {
            throw MailError.invalidRequest("$top must be an integer from 1 to \(service.configuration.maximumListSize)")
        }
        return size
    }

    private func auditPage(_ request: Request, _ target: ResourceTarget) throws -> (after: Int64, limit: Int) {
        let query = request.uri.queryParameters
        var after: Int64 = 0
        var limit = min(100, service.configuration.maximumAuditPage)
        if let text = query["after"] {
            guard let value = Int64(String(text)), value >= 0 else { throw ResourceRefusal(.invalidRequest("after must be a non-negative sequence number"), target) }
            after = value
        }
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...service.configuration.maximumAuditPage).contains(value) else {
                throw ResourceRefusal(.invalidRequest("limit must be an integer from 1 to \(service.configuration.maximumAuditPage)"), target)
            }
            limit = value
        }
        return (after, limit)
    }

    /// Runs a store call; a storage failure is a 503 with no details beyond the log.
    private func store<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as MailStoreError { throw storeFailure(error) }
    }

    private func storeFailure(_ error: MailStoreError) -> MailError {
        service.logger.error("mail store failure", metadata: ["error": "\(error)"])
        return MailError(.serviceUnavailable, error: "temporarily_unavailable", code: "mail_store_unavailable",
                         "the mail store could not be read or written")
    }
}
