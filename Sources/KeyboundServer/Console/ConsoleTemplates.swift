import Mustache

/// The console's page templates (Mustache: `{{name}}` is HTML-escaped, and no template uses the
/// unescaped forms except `layout`'s `{{{content}}}`, which is another template's output).
///
/// Each page is a template rendered into ``layout``. No page has an inline script or style: the
/// console's CSP (``ConsoleResponses/contentSecurityPolicy``) would refuse them.
enum ConsoleTemplates {
    /// Every template, parsed once.
    static let library = MustacheLibrary(consoleTemplates: sources)

    static let sources: [(String, String)] = [
        ("layout", layout), ("signIn", signIn), ("home", home), ("issuer", issuer), ("revoke", revoke), ("adminLog", adminLog),
        ("clients", clients), ("users", users), ("resources", resources), ("secret", secret), ("alerts", alerts), ("issuerAlerts", issuerAlerts),
        ("message", message),
    ]

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Keybound console</title>
        <link rel="stylesheet" href="/console/console.css">
        {{#live}}<script src="/console/console.js" defer></script>{{/live}}
        </head><body>
        <header>
        <a class="brand" href="/console">Keybound console</a>
        {{#user}}
        {{#hasLinks}}<nav aria-label="Console">{{#links}}<a href="{{path}}">{{title}}</a> {{/links}}</nav>{{/hasLinks}}
        <span>Signed in as <strong>{{username}}</strong> at <code>{{issuerID}}</code> ({{role}})</span>
        <form method="post" action="/console/sign-out"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><button type="submit">Sign out</button></form>
        {{/user}}
        </header>
        <main>
        {{{content}}}
        </main>
        </body></html>

        """

    static let signIn = """
        <div class="signin">
        <h1>Sign in to the console</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <section>
        <h2>Operators</h2>
        <p>People who run this Keybound sign in at the operator issuer.</p>
        <form method="get" action="/console/sign-in">
        <input type="hidden" name="issuer" value="{{operatorIssuerID}}">
        {{#returnTo}}<input type="hidden" name="return_to" value="{{returnTo}}">{{/returnTo}}
        <button type="submit">Sign in as an operator</button>
        </form>
        </section>
        <section>
        <h2>Tenant administrators</h2>
        <p>A tenant's administrators sign in at their tenant's own issuer.</p>
        <form method="get" action="/console/sign-in">
        {{#returnTo}}<input type="hidden" name="return_to" value="{{returnTo}}">{{/returnTo}}
        <label for="issuer">Your tenant's issuer id</label>
        <input id="issuer" name="issuer" type="text" autocomplete="organization" required>
        <button type="submit">Sign in</button>
        </form>
        </section>
        </div>

        """

    static let home = """
        <h1>Issuers</h1>
        <p class="muted">{{scopeNote}}</p>
        <table>
        <thead><tr><th scope="col">Issuer</th><th scope="col">Kind</th><th scope="col">URL</th><th scope="col">Keys</th></tr></thead>
        <tbody>
        {{#issuers}}
        <tr><td><a href="/console/issuers/{{id}}">{{id}}</a></td><td>{{kind}}</td><td><code>{{url}}</code></td><td>{{keySummary}}{{#warning}} <span class="warning">{{warning}}</span>{{/warning}}</td></tr>
        {{/issuers}}
        </tbody>
        </table>
        {{#canCreateIssuers}}
        <h2>New issuer</h2>
        <form method="post" action="/console/issuers">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="issuer-id">Issuer id (1–64 characters of a-z, 0-9 and '-')</label><input id="issuer-id" name="id" type="text" maxlength="64" autocomplete="off" required>
        <label for="issuer-kind">Kind</label>
        <select id="issuer-kind" name="kind">
        <option value="tenant">tenant (an organisation)</option>
        <option value="consumer">consumer (a consumer realm)</option>
        </select>
        <label for="issuer-tenant-id">Tenant id (a tenant's only; a consumer realm's is generated)</label><input id="issuer-tenant-id" name="tenant_id" type="text" maxlength="128" autocomplete="off">
        <label for="issuer-algorithm">Signing algorithm</label>
        <select id="issuer-algorithm" name="algorithm">{{#algorithms}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/algorithms}}</select>
        <fieldset><legend>Key lifecycle (empty for the defaults)</legend>
        <label for="issuer-rotation-period">Rotation period (1d to 30d)</label><input id="issuer-rotation-period" name="rotation_period" type="text" maxlength="6">
        <label for="issuer-publish-lead-time">Publish lead time (1h to 23h)</label><input id="issuer-publish-lead-time" name="publish_lead_time" type="text" maxlength="6">
        <label for="issuer-maximum-token-lifetime">Maximum token lifetime (1m to 59m, or 1h to 23h)</label><input id="issuer-maximum-token-lifetime" name="maximum_token_lifetime" type="text" maxlength="6">
        <label for="issuer-maximum-key-age">Maximum key age (30d to 3650d)</label><input id="issuer-maximum-key-age" name="maximum_key_age" type="text" maxlength="6">
        </fieldset>
        <button type="submit">Create the issuer</button>
        </form>
        {{/canCreateIssuers}}

        """

    static let issuer = """
        <h1>Issuer <code>{{id}}</code></h1>
        <p><span class="muted">{{kind}}</span> · <code>{{url}}</code>{{#tenantID}} · tenant id <code>{{tenantID}}</code>{{/tenantID}}</p>
        <p>Rotation every {{rotationDays}} days; a key may be at most {{maximumKeyAgeDays}} days old. {{#nextRotation}}Next rotation: {{nextRotation}}.{{/nextRotation}}</p>
        {{#warnings}}<p class="warning" role="status">{{.}}</p>{{/warnings}}
        <h2>Keys</h2>
        <table>
        <thead><tr><th scope="col">Key id</th><th scope="col">Purpose</th><th scope="col">Algorithm</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Active from</th><th scope="col">Signing ended</th><th scope="col">Verifies until</th><th scope="col">Retired or revoked</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
        {{#keys}}
        <tr><td><code>{{kid}}</code></td><td>{{purpose}}</td><td>{{algorithm}}</td><td><span class="state state-{{state}}">{{state}}</span></td><td>{{created}}</td><td>{{activated}}</td><td>{{deactivated}}</td><td>{{verifyUntil}}</td><td>{{ended}}{{#reason}}<br><span class="muted">{{reason}}</span>{{/reason}}</td><td>{{#revokeURL}}<a href="{{revokeURL}}">Revoke…</a>{{/revokeURL}}{{#keyLinks}} <a href="{{path}}">{{title}}</a>{{/keyLinks}}</td></tr>
        {{/keys}}
        </tbody>
        </table>
        {{#consoleClientMissing}}
        <h2>Console sign-in</h2>
        <p class="warning">This issuer has no console client (<code>keybound-console</code>): its console users cannot sign in yet.</p>
        {{#canEnableConsole}}
        <form method="post" action="/console/issuers/{{id}}/console-client">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <p class="muted">Registers the public client <code>keybound-console</code> (PKCE) with the redirect URI <code>{{consoleRedirectURI}}</code>. Then give a user the console role on the Users page.</p>
        <button type="submit">Enable console sign-in</button>
        </form>
        {{/canEnableConsole}}
        {{/consoleClientMissing}}
        {{#canRotate}}
        <h2>Rotate</h2>
        <form method="post" action="/console/issuers/{{id}}/rotate">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="rotate-reason">Reason (optional)</label>
        <input id="rotate-reason" name="reason" type="text" maxlength="500">
        <button type="submit">Publish the next keys and rotate</button>
        </form>
        {{/canRotate}}
        <h2>Key events, live</h2>
        <p id="key-events-status" role="status" class="muted">Connecting…</p>
        <ol id="key-events" class="live" data-stream="/{{id}}/key-events" data-kind="key" data-events="{{keyEventKinds}}" data-status="key-events-status"></ol>
        <p><a href="/console/issuers/{{id}}/clients">Clients</a> · <a href="/console/issuers/{{id}}/users">Users</a> · <a href="/console/issuers/{{id}}/resources">Resources</a> · <a href="/console/issuers/{{id}}/alerts">Alerts</a> · <a href="{{jwksURL}}">The JWKS as published</a> · <a href="/console/issuers/{{id}}/admin-log">Admin log</a>{{#issuerLinks}} · <a href="{{path}}">{{title}}</a>{{/issuerLinks}}</p>

        """

    static let revoke = """
        <h1>Revoke key <code>{{kid}}</code></h1>
        <p>Issuer <code>{{issuerID}}</code> · {{purpose}} · now {{state}}.</p>
        <p class="warning">A revoked key verifies nothing from this moment: every token it signed is refused everywhere, and it cannot be undone.</p>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="{{action}}">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="reason">Reason</label>
        <input id="reason" name="reason" type="text" maxlength="500" required>
        <label for="confirm-kid">Type the key id again to confirm</label>
        <input id="confirm-kid" name="confirm_kid" type="text" autocomplete="off" required>
        <button type="submit">Revoke this key</button>
        </form>
        <p><a href="/console/issuers/{{issuerID}}">Cancel</a></p>

        """

    static let adminLog = """
        <h1>Admin log of <code>{{issuerID}}</code></h1>
        <p class="muted">Every change to this issuer, from the console, the admin API or the CLI, allowed or refused; newest first ({{count}} entries).</p>
        <table>
        <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor (iss · sub)</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Reason</th><th scope="col">Outcome</th></tr></thead>
        <tbody>
        {{#entries}}
        <tr><td>{{sequence}}</td><td>{{at}}</td><td class="mono">{{actor}}</td><td>{{action}}</td><td class="mono">{{target}}</td><td>{{reason}}</td><td{{^succeeded}} class="warning"{{/succeeded}}>{{outcome}}</td></tr>
        {{/entries}}
        </tbody>
        </table>
        <p><a href="/console/issuers/{{issuerID}}">Back to the issuer</a></p>

        """

    static let clients = """
        <h1>Clients of <code>{{issuerID}}</code></h1>
        <table>
        <thead><tr><th scope="col">Client id</th><th scope="col">Name</th><th scope="col">Authentication</th><th scope="col">Grant types</th><th scope="col">Roles</th><th scope="col">Status</th>{{#canManage}}<th scope="col">Change</th>{{/canManage}}</tr></thead>
        <tbody>
        {{#clients}}
        <tr><td><code>{{clientID}}</code></td><td>{{name}}</td><td>{{method}}</td><td>{{grantTypes}}</td><td class="mono">{{roles}}</td><td>{{status}}</td>
        {{#canManage}}<td>
        <form method="post" action="{{path}}/{{toggle}}"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><button type="submit">{{toggleLabel}} {{clientID}}</button></form>
        {{#hasSecret}}<form method="post" action="{{path}}/secret"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><button type="submit">New secret for {{clientID}}</button></form>{{/hasSecret}}
        <form method="post" action="{{path}}/roles"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><label for="roles-{{clientID}}">Grant roles to {{clientID}}</label><input id="roles-{{clientID}}" name="roles" type="text" required><button type="submit">Grant</button></form>
        </td>{{/canManage}}</tr>
        {{/clients}}
        </tbody>
        </table>
        {{#canManage}}
        <h2>New client</h2>
        <form method="post" action="/console/issuers/{{issuerID}}/clients">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="client-name">Name</label><input id="client-name" name="name" type="text" required>
        <label for="client-id">Client id (optional; generated when empty)</label><input id="client-id" name="client_id" type="text">
        <label for="client-method">Authentication</label>
        <select id="client-method" name="token_endpoint_auth_method">
        <option value="client_secret_basic">client_secret_basic (confidential)</option>
        <option value="client_secret_post">client_secret_post (confidential)</option>
        <option value="none">none (public, PKCE)</option>
        </select>
        <fieldset><legend>Grant types</legend>
        <label><input type="checkbox" name="grant_authorization_code"> authorization_code</label>
        <label><input type="checkbox" name="grant_refresh_token"> refresh_token</label>
        <label><input type="checkbox" name="grant_client_credentials"> client_credentials</label>
        </fieldset>
        <label for="client-redirects">Redirect URIs (one per line)</label><textarea id="client-redirects" name="redirect_uris" rows="3"></textarea>
        <label for="client-roles">Roles (<code>audience/role</code>, separated by spaces)</label><input id="client-roles" name="roles" type="text">
        <button type="submit">Create the client</button>
        </form>
        {{/canManage}}
        <p><a href="/console/issuers/{{issuerID}}">Back to the issuer</a></p>

        """

    static let users = """
        <h1>Users of <code>{{issuerID}}</code></h1>
        <table>
        <thead><tr><th scope="col">Username</th><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Roles</th><th scope="col">Status</th>{{#canManage}}<th scope="col">Change</th>{{/canManage}}</tr></thead>
        <tbody>
        {{#users}}
        <tr><td><code>{{username}}</code></td><td>{{name}}</td><td>{{email}}</td><td class="mono">{{roles}}</td><td>{{status}}</td>
        {{#canManage}}<td>
        <form method="post" action="{{path}}/{{toggle}}"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><button type="submit">{{toggleLabel}} {{username}}</button></form>
        <form method="post" action="{{path}}/roles"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><label for="roles-{{username}}">Roles of {{username}}</label><input id="roles-{{username}}" name="roles" type="text" value="{{roles}}"><button type="submit">Set roles</button></form>
        </td>{{/canManage}}</tr>
        {{/users}}
        </tbody>
        </table>
        {{#canManage}}
        <h2>New user</h2>
        <form method="post" action="/console/issuers/{{issuerID}}/users">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="user-username">Username</label><input id="user-username" name="username" type="text" autocomplete="off" required>
        <label for="user-name">Name</label><input id="user-name" name="name" type="text">
        <label for="user-email">Email</label><input id="user-email" name="email" type="email">
        <label for="user-password">Password</label><input id="user-password" name="password" type="password" autocomplete="new-password" required>
        <label for="user-roles">Roles (separated by spaces; this issuer's: {{roleChoices}})</label><input id="user-roles" name="roles" type="text">
        <button type="submit">Create the user</button>
        </form>
        {{/canManage}}
        <p><a href="/console/issuers/{{issuerID}}">Back to the issuer</a></p>

        """

    static let resources = """
        <h1>Resources of <code>{{issuerID}}</code></h1>
        <p class="muted">The APIs this issuer issues tokens for. A resource's server clients are clients of this issuer that may read its token-event stream (the revocations of tokens for that resource), as a validator in another process does.</p>
        {{^hasResources}}<p>No resources.</p>{{/hasResources}}
        {{#hasResources}}
        <table>
        <thead><tr><th scope="col">Audience</th><th scope="col">Scopes</th><th scope="col">Roles</th><th scope="col">Server clients</th>{{#canRegister}}<th scope="col">New role</th>{{/canRegister}}</tr></thead>
        <tbody>
        {{#resources}}
        <tr><td><code>{{audience}}</code></td><td class="mono">{{scopes}}</td><td class="mono">{{roles}}</td><td>
        {{#canManage}}<form method="post" action="{{path}}/server-clients"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><label for="server-clients-{{index}}">Server clients of {{audience}}</label><input id="server-clients-{{index}}" name="server_clients" type="text" value="{{serverClients}}"><button type="submit">Save</button></form>{{/canManage}}
        {{^canManage}}<span class="mono">{{serverClients}}</span>{{/canManage}}
        </td>{{#canRegister}}<td><form method="post" action="{{path}}/roles"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><label for="role-{{index}}">New role on {{audience}}</label><input id="role-{{index}}" name="role" type="text" maxlength="128" required><button type="submit">Add the role</button></form></td>{{/canRegister}}</tr>
        {{/resources}}
        </tbody>
        </table>
        {{/hasResources}}
        {{#canRegister}}
        <h2>Register a resource</h2>
        <form method="post" action="/console/issuers/{{issuerID}}/resources">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="resource-audience">Audience (the API's identifier, as tokens name it in <code>aud</code>)</label><input id="resource-audience" name="audience" type="text" maxlength="512" autocomplete="off" required>
        <label for="resource-scopes">Delegated scopes (separated by spaces)</label><input id="resource-scopes" name="scopes" type="text">
        <label for="resource-roles">Roles (separated by spaces)</label><input id="resource-roles" name="roles" type="text">
        <button type="submit">Register the resource</button>
        </form>
        {{/canRegister}}
        <p><a href="/console/issuers/{{issuerID}}">Back to the issuer</a></p>

        """

    static let secret = """
        <h1>{{heading}}</h1>
        <p>The secret of client <code>{{clientID}}</code> at <code>{{issuerID}}</code>:</p>
        <p><code class="secret">{{secret}}</code></p>
        <p class="warning">It is shown this once: only its hash is stored. Copy it now.</p>
        <p><a href="/console/issuers/{{issuerID}}/clients">Back to the clients</a></p>

        """

    static let alerts = """
        <h1>Security alerts</h1>
        <p class="muted">What the validators of this deployment refused and why, newest first: a forged or replayed token, a revoked key still in use, an overdue rotation.</p>
        <p id="alerts-status" role="status" class="muted">Connecting…</p>
        <ol id="live-alerts" class="live" data-stream="/console/alerts/stream" data-kind="alert" data-events="alert" data-status="alerts-status" data-issuers="{{issuersJSON}}"{{#recordsPath}} data-records="{{recordsPath}}"{{/recordsPath}}></ol>
        <h2>Recent</h2>
        <table>
        <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Alert</th><th scope="col">Key</th><th scope="col">Token (jti)</th><th scope="col">Client, tenant, resource</th></tr></thead>
        <tbody>
        {{#alerts}}
        <tr><td>{{sequence}}</td><td>{{time}}</td><td><strong>{{code}}</strong><br>{{summary}}</td><td>{{#issuerPath}}<a href="{{issuerPath}}">{{/issuerPath}}<code>{{kid}}</code>{{#issuerPath}}</a>{{/issuerPath}}</td><td class="mono">{{#recordsURL}}<a href="{{recordsURL}}">{{/recordsURL}}{{jti}}{{#recordsURL}}</a>{{/recordsURL}}</td><td>{{context}}</td></tr>
        {{/alerts}}
        </tbody>
        </table>

        """

    static let issuerAlerts = """
        <h1>Alerts of <code>{{issuerID}}</code></h1>
        <p class="muted">Refused tokens that only a holder of a real signing key could have made, about this issuer's keys or naming this issuer, newest first. The fields of a refused token are what it claimed.</p>
        {{^hasAlerts}}<p>No alerts.</p>{{/hasAlerts}}
        {{#hasAlerts}}
        <table>
        <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Alert</th><th scope="col">Concerns</th><th scope="col">Key</th><th scope="col">Token (jti)</th><th scope="col">Client, tenant, resource</th></tr></thead>
        <tbody>
        {{#alerts}}
        <tr><td>{{sequence}}</td><td>{{time}}</td><td><strong>{{code}}</strong><br>{{summary}}</td><td>{{concerns}}</td><td><code>{{kid}}</code></td><td class="mono">{{jti}}</td><td>{{context}}</td></tr>
        {{/alerts}}
        </tbody>
        </table>
        {{/hasAlerts}}
        <p><a href="/console/issuers/{{issuerID}}">Back to the issuer</a></p>

        """

    static let message = """
        <h1>{{heading}}</h1>
        <p{{#isError}} class="error" role="alert"{{/isError}}>{{text}}</p>
        <p><a href="/console">Back to the console</a></p>

        """
}

extension MustacheLibrary {
    /// The console's templates `sources` (name, text), parsed. They are constants of the source, and
    /// a test renders each one, so a template that does not parse stops the process at once.
    package init(consoleTemplates sources: [(String, String)]) {
        self.init()
        for (name, text) in sources {
            do { register(try MustacheTemplate(string: text), named: name) } catch { preconditionFailure("console template \(name): \(error)") }
        }
    }
}
