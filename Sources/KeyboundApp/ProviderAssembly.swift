import Foundation
import Hummingbird
import KeyboundAudit
import KeyboundHummingbird
import KeyboundHunt
import KeyboundIncident
import KeyboundValidation
import KeyboundServer
import KeyboundStore
import Logging
import ServiceLifecycle

/// The composition root: the provider as Keybound ships it, with the admin routes of the modules
/// above the server (the hunt). `keybound serve`, the drill, the tests and the benchmarks build
/// the provider here, so that `KeyboundServer` itself depends on no resource, hunt or audit module.
public enum ProviderAssembly {
    /// The provider's router (`KeyboundApplication/router(context:)`) with `GET /admin/hunt` and
    /// the console's hunt, incident, notice and audit pages. `auditLog` is the in-process mail's
    /// log: the console's audit pages read it, and on PostgreSQL the hunt does (on SQLite the hunt
    /// reads `audit.sqlite` in the data directory);
    /// `incidents` is where the console's incident responses are kept (default: the data
    /// directory's `incidents/` folder beside an SQLite store).
    public static func router(context: ProviderContext, auditLog: AuditLog? = nil,
                              incidents: (any IncidentStore)? = nil) -> HeadAnsweringRouter<ProviderRequestContext> {
        let extensions = Extensions(context, auditLog, incidents)
        return KeyboundApplication.router(context: context, adminExtensions: extensions.admin, consoleExtensions: extensions.console)
    }

    /// The provider's application with its services (`KeyboundApplication/make(context:logger:)`),
    /// `GET /admin/hunt` and the console's pages (see ``router(context:auditLog:incidents:)``).
    public static func make(context: ProviderContext, logger: Logger, auditLog: AuditLog? = nil,
                            incidents: (any IncidentStore)? = nil) -> some ApplicationProtocol {
        let extensions = Extensions(context, auditLog, incidents)
        return KeyboundApplication.make(context: context, logger: logger, adminExtensions: extensions.admin, consoleExtensions: extensions.console)
    }

    /// The admin listener (the admin API and the console, with the same pages as
    /// ``make(context:logger:auditLog:incidents:)``), when `admin.listen` names one of their own and
    /// an admin token is set; `nil` when they are on the public listener.
    public static func adminApplication(context: ProviderContext, logger: Logger, auditLog: AuditLog? = nil,
                                        incidents: (any IncidentStore)? = nil) -> (any Service)? {
        let extensions = Extensions(context, auditLog, incidents)
        return KeyboundApplication.adminApplication(context: context, logger: logger, adminExtensions: extensions.admin,
                                                    consoleExtensions: extensions.console)
    }

    /// The admin listener's router (for tests): everything, the admin API and the console included.
    public static func adminRouter(context: ProviderContext, auditLog: AuditLog? = nil,
                                   incidents: (any IncidentStore)? = nil) -> HeadAnsweringRouter<ProviderRequestContext> {
        let extensions = Extensions(context, auditLog, incidents)
        return KeyboundApplication.router(context: context, adminExtensions: extensions.admin, consoleExtensions: extensions.console, surface: .admin)
    }

    /// What the modules above the server add to the admin API and the console, built once per
    /// application so that the console and the API share one ``IncidentDesk``.
    struct Extensions {
        let admin: [AdminExtensionRoute]
        let console: [ConsoleExtension]

        init(_ context: ProviderContext, _ auditLog: AuditLog?, _ incidents: (any IncidentStore)?) {
            let hunt = AdminHunt(context: context, sharedAuditLog: auditLog)
            let store = incidents ?? (context.store as? SQLiteProviderStore).map {
                FolderIncidentStore(dataDirectory: URL(fileURLWithPath: $0.path).deletingLastPathComponent())
            }
            let desk = store.map { IncidentDesk(context: context, incidents: $0, audit: { try hunt.auditSource() }) }
            admin = [hunt.route] + (desk.map { AdminIncidents(desk: $0).routes } ?? [])
            console = ProviderAssembly.consoleExtensions(context, auditLog, hunt: hunt, desk: desk)
        }
    }

    /// The console's hunt page, and its incident and notice pages where there is an incident store.
    static func consoleExtensions(_ context: ProviderContext, _ auditLog: AuditLog?, hunt: AdminHunt, desk: IncidentDesk?) -> [ConsoleExtension] {
        let huntPage = ConsoleHuntPage(hunt: hunt)
        var links = [ConsoleExtension.Link(title: "Hunt", path: "/console/hunt", operatorsOnly: true)]
        var keyLinks: [ConsoleExtension.Link] = []
        let incidentPages = desk.map { ConsoleIncidentPages(desk: $0) }
        if desk != nil {
            links += [ConsoleExtension.Link(title: "Incidents", path: "/console/incidents", operatorsOnly: true),
                      ConsoleExtension.Link(title: "Notices", path: "/console/notices", operatorsOnly: false)]
            keyLinks.append(ConsoleExtension.Link(title: "Incident response…", path: "respond", operatorsOnly: true))
        }
        // The audit pages read the in-process mail's log, on either backend.
        let auditPages = auditLog.map { ConsoleAuditPages(context: context, log: $0) }
        var issuerLinks: [ConsoleExtension.Link] = []
        if auditPages != nil {
            links.append(ConsoleExtension.Link(title: "Audit", path: "/console/audit", operatorsOnly: true))
            issuerLinks.append(ConsoleExtension.Link(title: "Audit records", path: "audit", operatorsOnly: false))
        }
        return [ConsoleExtension(links: links, keyLinks: keyLinks, issuerLinks: issuerLinks, alertRecordsPath: auditPages == nil ? nil : "/console/audit",
                                 stylesheet: HuntReport.stylesheet + "\n" + ConsoleAppTemplates.stylesheet) { pages, console in
            huntPage.register(pages, console)
            incidentPages?.register(pages, console)
            auditPages?.register(pages, console)
        }]
    }
}
