import KeyboundServer
import Mustache

/// The templates of the console pages this module adds (the hunt, incidents and notices), rendered
/// into the console's layout. `{{name}}` is HTML-escaped; the one unescaped value is the hunt
/// report's section (`{{{report}}}`), which `HuntReport.htmlSection` escapes value by value.
enum ConsoleAppTemplates {
    /// Every template, parsed once.
    static let library = MustacheLibrary(consoleTemplates: sources)

    static let sources: [(String, String)] = [
        ("hunt", hunt), ("incidents", incidents), ("incidentNew", incidentNew), ("incident", incident), ("document", document), ("notices", notices), ("audit", audit),
    ]

    /// Renders `template` with `context`.
    static func render(_ template: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: template) ?? ""
    }

    static let hunt = """
        <h1>Hunt</h1>
        <p class="muted">Search this deployment's audit log, issuance ledger and key store for forged tokens, cross-issuer attempts and uses of a revoked key; name a key to trace its every use.</p>
        <form method="get" action="/console/hunt">
        <label for="hunt-issuer">Issuer of the key to trace (optional)</label>
        <select id="hunt-issuer" name="issuer">
        <option value="">No key: hunt the whole log</option>
        {{#issuers}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{id}}</option>{{/issuers}}
        </select>
        <label for="hunt-kid">Key id (with the issuer)</label>
        <input id="hunt-kid" name="kid" type="text" value="{{kid}}" autocomplete="off">
        <label for="hunt-since">Since (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or UNIX seconds; optional)</label>
        <input id="hunt-since" name="since" type="text" value="{{since}}">
        <label for="hunt-until">Until (optional)</label>
        <input id="hunt-until" name="until" type="text" value="{{until}}">
        <input type="hidden" name="run" value="1">
        <button type="submit">Run the hunt</button>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#hasReport}}
        <h2>Report</h2>
        <p><a href="{{jsonURL}}" download>Download the report as JSON</a></p>
        {{{report}}}
        {{/hasReport}}

        """

    static let incidents = """
        <h1>Incidents</h1>
        <p class="muted">An incident response contains a compromised signing key and scopes the damage: it revokes the key, activates a fresh one, revokes every token the key signed, hunts the audit log, and writes one notice per affected organisation. Start one from a key's row on its issuer's page.</p>
        {{^incidents}}<p>No incidents.</p>{{/incidents}}
        {{#hasIncidents}}
        <table>
        <thead><tr><th scope="col">Incident</th><th scope="col">Issuer</th><th scope="col">Key</th><th scope="col">Opened</th><th scope="col">State</th><th scope="col">Reason</th></tr></thead>
        <tbody>
        {{#incidents}}
        <tr><td><a href="/console/incidents/{{id}}">{{id}}</a></td><td><a href="/console/issuers/{{issuerID}}">{{issuerID}}</a></td><td><code>{{kid}}</code></td><td>{{opened}}</td><td>{{state}}</td><td>{{reason}}</td></tr>
        {{/incidents}}
        </tbody>
        </table>
        {{/hasIncidents}}
        <p><a href="/console/notices">The organisations' notices</a></p>

        """

    static let incidentNew = """
        <h1>Respond to a compromised key</h1>
        <p>Issuer <code>{{issuerID}}</code> · key <code>{{kid}}</code> · {{purpose}} · now {{state}}.</p>
        <p class="warning">This revokes the key at once (every token it signed is refused everywhere), activates a fresh key, revokes every token the ledger shows it signed, hunts the audit log and writes the notices. It cannot be undone.</p>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/console/issuers/{{issuerID}}/keys/{{kid}}/respond">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="incident-reason">Reason</label>
        <input id="incident-reason" name="reason" type="text" maxlength="500" required>
        <label for="incident-confirm-kid">Type the key id again to confirm</label>
        <input id="incident-confirm-kid" name="confirm_kid" type="text" autocomplete="off" required>
        <button type="submit">Start the incident response</button>
        </form>
        <p><a href="/console/issuers/{{issuerID}}">Cancel</a></p>

        """

    static let incident = """
        <h1>Incident <code>{{id}}</code></h1>
        <p>Key <code>{{kid}}</code> of <a href="/console/issuers/{{issuerID}}">{{issuerID}}</a> · opened {{opened}} · {{reason}}</p>
        {{#freshKid}}<p>The issuer now signs with <code>{{freshKid}}</code>.</p>{{/freshKid}}
        {{#tokensRevoked}}<p>Tokens revoked: {{tokensRevoked}}; refresh chains cut: {{chainsRevoked}}.</p>{{/tokensRevoked}}
        <h2>Steps</h2>
        <p id="incident-status" role="status" class="{{statusClass}}">{{status}}</p>
        <ol id="incident-steps" class="steps"{{#live}} data-poll="/console/incidents/{{id}}/state" data-status="incident-status"{{/live}}>
        {{#steps}}<li data-step="{{step}}" class="{{#done}}done{{/done}}{{^done}}pending{{/done}}">{{#done}}done: {{/done}}{{^done}}to do: {{/done}}{{step}}{{#detail}} ({{detail}}){{/detail}}</li>{{/steps}}
        </ol>
        {{#canResume}}
        <form method="post" action="/console/issuers/{{issuerID}}/keys/{{kid}}/respond">
        <input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <input type="hidden" name="confirm_kid" value="{{kid}}">
        <input type="hidden" name="reason" value="{{reason}}">
        <button type="submit">Resume the response</button>
        </form>
        {{/canResume}}
        <h2>Documents</h2>
        {{^documents}}<p>None yet.</p>{{/documents}}
        <ul>
        {{#documents}}<li><a href="{{readURL}}">{{name}}</a> · <a href="{{downloadURL}}" download>download</a></li>{{/documents}}
        </ul>
        <p><a href="/console/incidents">All incidents</a></p>

        """

    static let document = """
        <h1><code>{{name}}</code></h1>
        <p>Incident <a href="{{incidentURL}}">{{incidentID}}</a> · <a href="{{downloadURL}}" download>Download</a></p>
        <pre class="document">{{text}}</pre>

        """

    static let notices = """
        <h1>Notices</h1>
        <p class="muted">{{scopeNote}}</p>
        {{^notices}}<p>No notices.</p>{{/notices}}
        {{#hasNotices}}
        <table>
        <thead><tr><th scope="col">Incident</th><th scope="col">Organisation (tenant)</th><th scope="col">Issuer of the tenant</th><th scope="col">Notice</th></tr></thead>
        <tbody>
        {{#notices}}
        <tr><td>{{incidentID}}</td><td><code>{{tenant}}</code></td><td><code>{{tenantIssuer}}</code></td><td><a href="{{readURL}}">Read</a> · <a href="{{downloadURL}}" download>Download (Markdown)</a> · <a href="{{jsonURL}}" download>JSON</a></td></tr>
        {{/notices}}
        </tbody>
        </table>
        {{/hasNotices}}

        """

    static let audit = """
        <h1>{{title}}</h1>
        <p class="muted">{{scopeNote}}</p>
        <form method="get" action="{{action}}">
        <label for="audit-mailbox">Mailbox</label><input id="audit-mailbox" name="mailbox" type="text" value="{{mailbox}}">
        <label for="audit-application">Application (client id)</label><input id="audit-application" name="application" type="text" value="{{application}}">
        {{#allowsTokenID}}<label for="audit-jti">Token id (jti)</label><input id="audit-jti" name="jti" type="text" value="{{jti}}">{{/allowsTokenID}}
        <label for="audit-result">Result</label>
        <select id="audit-result" name="result">
        <option value=""{{#anyResult}} selected{{/anyResult}}>allowed or refused</option>
        <option value="allowed"{{#allowedResult}} selected{{/allowedResult}}>allowed</option>
        <option value="denied"{{#deniedResult}} selected{{/deniedResult}}>refused</option>
        </select>
        <button type="submit">Filter</button>
        </form>
        <h2>The audit chain</h2>
        <p id="audit-chain" class="{{#chainIntact}}good{{/chainIntact}}{{^chainIntact}}error{{/chainIntact}}">{{chainSummary}}</p>
        {{#checkpoint}}<p id="audit-checkpoint">Last signed checkpoint: segment {{segment}}, records {{first}} to {{last}}, signed {{createdAt}} with key <code>{{keyID}}</code>.</p>{{/checkpoint}}
        {{^checkpoint}}<p id="audit-checkpoint">No signed checkpoint yet.</p>{{/checkpoint}}
        <h2>Records</h2>
        <p class="muted">{{countNote}}</p>
        {{^hasRecords}}<p>No matching records.</p>{{/hasRecords}}
        {{#hasRecords}}
        <table id="audit-records">
        <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Mailbox</th><th scope="col">Operation</th><th scope="col">Application</th><th scope="col">Result</th><th scope="col">Token (jti)</th><th scope="col">Key</th><th scope="col">Client IP</th></tr></thead>
        <tbody>
        {{#records}}
        <tr><td>{{sequence}}</td><td>{{time}}</td><td class="mono">{{mailbox}}</td><td>{{operation}}</td><td class="mono">{{application}}</td><td{{^allowed}} class="warning"{{/allowed}}>{{result}}{{#code}} ({{code}}){{/code}}{{#attribution}}, {{attribution}}{{/attribution}}</td><td class="mono">{{jti}}</td><td class="mono">{{kid}}</td><td class="mono">{{clientIP}}</td></tr>
        {{/records}}
        </tbody>
        </table>
        {{/hasRecords}}

        """

    /// The CSS of these pages, served in the console's stylesheet file.
    static let stylesheet = """
        .steps li.done, p.good { color: var(--good); }
        .steps li.pending { color: var(--muted); }
        pre.document { background: var(--band); padding: 1rem; overflow: auto; white-space: pre-wrap; }
        .hunt-report { overflow-wrap: anywhere; }
        .hunt-report table { display: block; overflow-x: auto; }
        .hunt-report pre { white-space: pre-wrap; }

        """
}
