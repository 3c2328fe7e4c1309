#!/usr/bin/env python3
"""Walks the Keybound console in a real browser (headless Chromium through Selenium).

Run by ConsoleBrowserTests against a live `keybound serve` (development bootstrap). It signs in
as the operator and as a tenant admin, walks the pages of docs/console.md with axe-core on each,
rotates and revokes a key through the forms, runs a hunt and an incident response end to end,
posts every form without its CSRF token, and fails
on any Content-Security-Policy violation. It prints one line per check and exits non-zero on the
first failure, with the reason.

    browser_walk.py --base http://localhost:PORT --operator root:PASSWORD \
        --tenant contoso:admin:PASSWORD --screenshots DIR
"""
import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request

from axe_core_python.selenium import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

# Records every CSP violation in the page, before any of the page's own content runs.
CSP_RECORDER = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', function (e) {"
    "  window.__cspViolations.push(e.violatedDirective + ' blocked ' + e.blockedURI);"
    "});"
)


class Failure(Exception):
    pass


def http(method, url, headers=None, body=None):
    """One request outside the browser (the admin API, the token endpoint, Mail); (status, body)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def token_kid(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def check(condition, message):
    if not condition:
        raise Failure(message)
    print(f"ok: {message}", flush=True)


class Console:
    def __init__(self, base, screenshots):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--disable-gpu"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(120)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_RECORDER})
        self.base = base
        self.screenshots = screenshots
        self.axe = Axe()
        self.axe_pages = 0

    def close(self):
        self.driver.quit()

    # Navigation and checks

    def visit(self, path):
        self.driver.get(self.base + path)
        self.assert_no_csp_violation(path)

    def assert_no_csp_violation(self, where):
        violations = self.driver.execute_script("return window.__cspViolations || [];")
        logged = [entry["message"] for entry in self.driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        if violations or logged:
            raise Failure(f"CSP violation on {where}: {violations + logged}")

    def title(self):
        return self.driver.title

    def wait_for_path(self, path):
        WebDriverWait(self.driver, 60).until(lambda driver: driver.current_url == self.base + path)

    def submit(self, form_css):
        """Submits the form and waits until the next page has replaced this one."""
        self.click_and_wait(self.driver.find_element(By.CSS_SELECTOR, form_css + " button[type=submit]"))

    def click_and_wait(self, element):
        """Clicks and waits until a new page has replaced this one (a page that answers with the
        same URL would otherwise look loaded at once)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 60).until(expected_conditions.staleness_of(old))

    def screenshot(self, name):
        if self.screenshots:
            self.driver.save_screenshot(os.path.join(self.screenshots, name + ".png"))

    def audit(self, name):
        """axe-core (WCAG 2 A and AA) on the current page: no serious or critical violation."""
        result = self.axe.run(self.driver, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
        check(len(result.get("passes", [])) > 0, f"axe ran its rules on {name} ({len(result.get('passes', []))} passed)")
        serious = [f"{v['id']} ({v['impact']}): {v['help']}" for v in result.get("violations", []) if v.get("impact") in ("serious", "critical")]
        check(not serious, f"axe finds no serious or critical violation on {name}: {serious}")
        self.axe_pages += 1

    # Sign-in

    def sign_in(self, issuer, username, password, operator):
        self.visit("/console")
        check("Sign in to the console" in self.driver.page_source, "signed out, /console is the sign-in page")
        self.audit("the sign-in page")
        self.screenshot("sign-in")
        if operator:
            self.driver.find_element(By.XPATH, "//button[normalize-space()='Sign in as an operator']").click()
        else:
            self.driver.find_element(By.ID, "issuer").send_keys(issuer)
            self.driver.find_element(By.XPATH, "//button[normalize-space()='Sign in']").click()
        WebDriverWait(self.driver, 60).until(expected_conditions.presence_of_element_located((By.ID, "username")))
        check(f"/{issuer}/authorize" in self.driver.current_url, f"the console sent the browser to {issuer}'s authorization endpoint")
        self.assert_no_csp_violation("the issuer's sign-in page")
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        self.wait_for_path("/console")
        self.assert_no_csp_violation("/console after sign-in")
        check(f"Signed in as {username}" in self.driver.find_element(By.TAG_NAME, "header").text, f"{username} is signed in at {issuer}")

    def sign_out(self):
        self.click_and_wait(self.driver.find_element(By.XPATH, "//header//button[normalize-space()='Sign out']"))
        self.wait_for_path("/console")
        check("Sign in to the console" in self.driver.page_source, "sign-out ends the session")

    # Forms

    def post_without_csrf(self, form_css, name):
        """Removes the form's CSRF token and submits it: 403, nothing changed."""
        self.driver.execute_script(
            "document.querySelector(arguments[0] + ' input[name=csrf_token]').remove();", form_css)
        self.submit(form_css)
        WebDriverWait(self.driver, 60).until(lambda driver: "Refused" in driver.title)
        check("CSRF" in self.driver.page_source, f"{name} without its CSRF token is refused")

    def key_rows(self):
        return self.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")


def walk_tenant_admin(console, issuer, username, password, other_issuer):
    console.sign_in(issuer, username, password, operator=False)
    header = console.driver.find_element(By.TAG_NAME, "header").text
    check("Console.TenantAdmin" in header, "the tenant admin's role is shown")
    links = [a.get_attribute("href") for a in console.driver.find_elements(By.CSS_SELECTOR, "main a")]
    check(links == [console.base + f"/console/issuers/{issuer}"], f"the tenant admin's home lists its own issuer only: {links}")
    console.audit("home (tenant admin)")

    console.visit(f"/console/issuers/{issuer}")
    console.audit("issuer (tenant admin)")
    console.screenshot("issuer-tenant-admin")
    check(not console.driver.find_elements(By.PARTIAL_LINK_TEXT, "Revoke"), "no revoke link for a tenant admin")
    before = len(console.key_rows())
    console.post_without_csrf("form[action$='/rotate']", "the rotate form")
    console.visit(f"/console/issuers/{issuer}")
    check(len(console.key_rows()) == before, "nothing was rotated without the CSRF token")
    console.driver.find_element(By.ID, "rotate-reason").send_keys("browser test")
    console.submit("form[action$='/rotate']")
    console.wait_for_path(f"/console/issuers/{issuer}")
    console.assert_no_csp_violation("the issuer page after a rotation")
    check(len(console.key_rows()) > before, "a rotation from the console publishes the next keys on the timeline")
    check(console.driver.find_elements(By.CSS_SELECTOR, ".state-pending"), "the timeline shows the pending keys")

    walk_directory(console, issuer, "tenant admin", create=True)

    console.visit(f"/console/issuers/{issuer}/admin-log")
    console.audit("admin log (tenant admin)")
    check("key.rotate" in console.driver.page_source and "browser test" in console.driver.page_source,
          "the rotation is in the issuer's admin log")

    console.visit(f"/console/issuers/{issuer}/resources")
    console.audit("resources (tenant admin)")
    check(console.driver.find_elements(By.CSS_SELECTOR, "form[action$='/server-clients']"), "the tenant admin may name server clients")
    console.visit(f"/console/issuers/{issuer}/alerts")
    console.audit("alerts of the issuer (tenant admin)")
    console.visit(f"/console/issuers/{issuer}/audit")
    console.audit("audit records (tenant admin)")
    check(console.driver.find_element(By.ID, "audit-chain").text.startswith("The chain verified at"),
          "the tenant admin's audit page shows the chain verified")
    console.visit("/console/notices")
    console.audit("notices (tenant admin)")
    check("The notices addressed to your organisation" in console.driver.page_source, "a tenant admin's notices page is its organisation's")
    for path in (f"/console/issuers/{other_issuer}", f"/console/issuers/{other_issuer}/admin-log", "/console/issuers/no-such-issuer",
                 "/console/hunt", "/console/incidents", f"/console/issuers/{issuer}/keys/any/respond"):
        console.visit(path)
        check(console.title().startswith("Forbidden"), f"a tenant admin gets Forbidden at {path}")
    console.visit("/console")
    console.post_without_csrf("header form", "the sign-out form")
    console.visit("/console")
    check("Signed in as" in console.driver.page_source, "still signed in after the refused sign-out")
    console.sign_out()


def walk_directory(console, issuer, role, create):
    """The clients and users pages; with `create`, a confidential client made through the form,
    whose secret is shown once, on the page the form answers with."""
    console.visit(f"/console/issuers/{issuer}/clients")
    console.audit(f"clients ({role})")
    if create:
        console.screenshot("clients")
        console.driver.find_element(By.ID, "client-name").send_keys("Browser test app")
        console.driver.find_element(By.ID, "client-id").send_keys("browser-test-app")
        console.driver.find_element(By.CSS_SELECTOR, "input[name=grant_client_credentials]").click()
        console.submit("form[action$='/clients']")
        console.assert_no_csp_violation("the new client's secret page")
        secret = console.driver.find_element(By.CSS_SELECTOR, "code.secret").text
        check(secret.startswith("kbs_") and secret not in console.driver.current_url, "the new client's secret is shown once, not in the URL")
        console.audit(f"client secret ({role})")
    console.visit(f"/console/issuers/{issuer}/users")
    console.audit(f"users ({role})")
    if create:
        console.screenshot("users")


def mail_token(console, tenant, services, when):
    """A client_credentials token of the tenant's daemon for Mail, which Mail accepts now:
    (token, its kid, the mailbox URL it reads)."""
    status, body = http("POST", f"{console.base}/{tenant}/token",
                        {"Authorization": "Basic " + base64.b64encode(services.daemon.encode()).decode(),
                         "Content-Type": "application/x-www-form-urlencoded"},
                        b"grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default")
    check(status == 200, f"the daemon got a token ({status})")
    token = json.loads(body)["access_token"]
    mail = f"{services.mail}/users/{services.mailbox}/messages"
    check(http("GET", mail, {"Authorization": f"Bearer {token}"})[0] == 200, f"Mail accepts the token {when}")
    return token, token_kid(token), mail


def walk_operator(console, username, password, tenant, services):
    console.sign_in("operator", username, password, operator=True)
    links = [a.text for a in console.driver.find_elements(By.CSS_SELECTOR, "main table a")]
    check(tenant in links and "operator" in links and "consumers" in links, f"the operator sees every issuer: {links}")
    console.audit("home (operator)")
    console.screenshot("home-operator")

    # The live key-event view: a rotation made elsewhere (the admin API) appears while the page is
    # open. On the consumer realm, which has no next keys pending yet (the tenant admin rotated the
    # tenant's keys above).
    live_issuer = services.other_issuer
    console.visit(f"/console/issuers/{live_issuer}")
    console.audit("issuer (operator)")
    WebDriverWait(console.driver, 60).until(lambda d: d.find_element(By.ID, "key-events-status").text.startswith("Live"))
    status, body = http("POST", f"{console.base}/admin/issuers/{live_issuer}/keys/rotate",
                        {"Authorization": f"Bearer {services.admin_token}", "Content-Type": "application/json"}, b'{"reason":"live view"}')
    check(status == 200, f"the admin API rotated {live_issuer}'s keys ({status})")
    WebDriverWait(console.driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#key-events li"))
    events = [item.text for item in console.driver.find_elements(By.CSS_SELECTOR, "#key-events li")]
    check(any("created" in event for event in events), f"the live key-event view shows the rotation as it happens: {events}")
    console.assert_no_csp_violation("the issuer page's live view")

    # A token of the key about to be revoked, accepted by Mail now.
    token, kid, mail = mail_token(console, tenant, services, "before the revocation")

    console.visit(f"/console/issuers/{tenant}")
    check(console.driver.find_elements(By.PARTIAL_LINK_TEXT, "Revoke"), "the operator sees revoke links")
    row = console.driver.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{kid}']]")
    row.find_element(By.PARTIAL_LINK_TEXT, "Revoke").click()
    WebDriverWait(console.driver, 60).until(expected_conditions.presence_of_element_located((By.ID, "confirm-kid")))
    console.assert_no_csp_violation("the revoke form")
    console.audit("revoke form")
    console.screenshot("revoke")

    revoke_url = console.driver.current_url
    # Filled in (the browser does not submit a form with its required fields empty), then posted
    # without its token.
    console.driver.find_element(By.ID, "reason").send_keys("browser test: no token")
    console.driver.find_element(By.ID, "confirm-kid").send_keys(kid)
    console.post_without_csrf("main form", "the revoke form")
    console.visit(f"/console/issuers/{tenant}")
    row = console.driver.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{kid}']]")
    check("state-active" in row.get_attribute("innerHTML"), f"{kid} is still active after the refused revocation")
    console.driver.get(revoke_url)
    WebDriverWait(console.driver, 60).until(expected_conditions.presence_of_element_located((By.ID, "confirm-kid")))
    console.driver.find_element(By.ID, "reason").send_keys("browser test: key stolen")
    console.driver.find_element(By.ID, "confirm-kid").send_keys(kid + "x")
    console.submit("main form")
    WebDriverWait(console.driver, 60).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "p.error")))
    check("Type the key id exactly" in console.driver.page_source, "a mistyped key id revokes nothing")
    console.driver.find_element(By.ID, "reason").send_keys("browser test: key stolen")
    console.driver.find_element(By.ID, "confirm-kid").send_keys(kid)
    console.submit("main form")
    console.wait_for_path(f"/console/issuers/{tenant}")
    console.assert_no_csp_violation("the issuer page after a revocation")
    row = console.driver.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{kid}']]")
    check("revoked" in row.text and "browser test: key stolen" in row.text, f"the timeline shows {kid} revoked, with its reason")
    console.screenshot("issuer-operator")

    # The same token presented to Mail now: refused, and the key_revoked alert appears live.
    console.visit("/console/alerts")
    console.audit("alerts (operator)")
    WebDriverWait(console.driver, 60).until(lambda d: d.find_element(By.ID, "alerts-status").text.startswith("Live"))
    check(http("GET", mail, {"Authorization": f"Bearer {token}"})[0] == 401, "Mail refuses the revoked key's token")
    WebDriverWait(console.driver, 60).until(
        lambda d: any("key_revoked" in item.text and kid in item.text for item in d.find_elements(By.CSS_SELECTOR, "#live-alerts li")))
    alert = next(item for item in console.driver.find_elements(By.CSS_SELECTOR, "#live-alerts li") if "key_revoked" in item.text)
    check(alert.find_element(By.TAG_NAME, "a").get_attribute("href") == f"{console.base}/console/issuers/{tenant}",
          "the live key_revoked alert names the key and links to its issuer")
    console.assert_no_csp_violation("the alerts page's live view")
    console.screenshot("alerts")
    console.click_and_wait(alert.find_element(By.PARTIAL_LINK_TEXT, "audit records"))
    console.assert_no_csp_violation("the alert's audit records")
    rows = [row.text for row in console.driver.find_elements(By.CSS_SELECTOR, "#audit-records tbody tr")]
    check(len(rows) == 2 and "denied (key_revoked), claimed" in rows[0] and " allowed " in rows[1],
          f"the live alert links to its token's audit records: refused after the revocation, served before: {rows}")
    console.audit("audit records (operator)")
    console.screenshot("audit")

    walk_hunt(console, tenant, kid)
    walk_incident(console, tenant, services, password)

    walk_directory(console, tenant, "operator", create=False)
    console.visit(f"/console/issuers/{tenant}/admin-log")
    check("key.revoke" in console.driver.page_source, "the revocation is in the admin log")
    console.screenshot("admin-log")
    console.sign_out()


def walk_hunt(console, tenant, kid):
    """The hunt page: trace the key revoked above; its token presented afterwards is a finding."""
    console.visit("/console/hunt")
    console.audit("hunt form")
    Select(console.driver.find_element(By.ID, "hunt-issuer")).select_by_value(tenant)
    console.driver.find_element(By.ID, "hunt-kid").send_keys(kid)
    console.submit("main form")
    WebDriverWait(console.driver, 60).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "section.hunt-report")))
    console.assert_no_csp_violation("the hunt report")
    report = console.driver.find_element(By.CSS_SELECTOR, "section.hunt-report")
    check("Malicious activity found" in report.text and kid in report.text,
          "the hunt report traces the revoked key and finds its token used after the revocation")
    check(report.find_elements(By.TAG_NAME, "svg"), "the report has its timeline chart")
    console.audit("hunt report")
    console.screenshot("hunt")


def reauthenticate_if_asked(console, password):
    """A fresh sign-in (max_age): the issuer's sign-in page asks for the password again."""
    WebDriverWait(console.driver, 60).until(lambda d: d.find_elements(By.ID, "incident-confirm-kid") or d.find_elements(By.ID, "password"))
    if console.driver.find_elements(By.ID, "password"):
        username = console.driver.find_element(By.ID, "username")
        if not username.get_attribute("value"):
            username.send_keys("root")
        console.driver.find_element(By.ID, "password").send_keys(password)
        console.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(console.driver, 60).until(expected_conditions.presence_of_element_located((By.ID, "incident-confirm-kid")))
        print("ok: the incident form asked for the password again (fresh sign-in)", flush=True)


def walk_incident(console, tenant, services, password):
    """The incident flow end to end: a token of the tenant's active key works at Mail; the operator
    starts `incident respond` for that key from its row, watches the steps complete live, reads the
    documents; the token is refused afterwards."""
    token, kid, mail = mail_token(console, tenant, services, "before the incident")

    console.visit(f"/console/issuers/{tenant}")
    row = console.driver.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{kid}']]")
    row.find_element(By.PARTIAL_LINK_TEXT, "Incident response").click()
    reauthenticate_if_asked(console, password)
    console.assert_no_csp_violation("the incident response form")
    console.audit("incident response form")
    form_url = console.driver.current_url
    console.driver.find_element(By.ID, "incident-reason").send_keys("browser test: no token")
    console.driver.find_element(By.ID, "incident-confirm-kid").send_keys(kid)
    console.post_without_csrf("main form", "the incident response form")
    console.visit(f"/console/issuers/{tenant}")
    row = console.driver.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{kid}']]")
    check("state-active" in row.get_attribute("innerHTML"), f"{kid} is still active after the refused incident form")

    console.driver.get(form_url)
    reauthenticate_if_asked(console, password)
    console.driver.find_element(By.ID, "incident-reason").send_keys("browser test: key stolen")
    console.driver.find_element(By.ID, "incident-confirm-kid").send_keys(kid)
    console.screenshot("incident-respond")
    console.submit("main form")
    WebDriverWait(console.driver, 60).until(lambda d: "/console/incidents/INC-" in d.current_url)
    incident_url = console.driver.current_url
    # The page polls the incident's state and reloads once every step is done.
    WebDriverWait(console.driver, 120).until(
        lambda d: d.find_element(By.ID, "incident-status").text.startswith(("Closed", "The response stopped", "The response is not running")))
    console.assert_no_csp_violation("the incident page's live steps")
    status_text = console.driver.find_element(By.ID, "incident-status").text
    check(status_text.startswith("Closed"), f"the incident response ran every step: {status_text}")
    steps = [item.text for item in console.driver.find_elements(By.CSS_SELECTOR, "#incident-steps li")]
    check(len(steps) == 6 and all(step.startswith("done: ") for step in steps), f"the page shows each step done: {steps}")
    console.audit("incident")
    console.screenshot("incident")
    check(http("GET", mail, {"Authorization": f"Bearer {token}"})[0] == 401, "Mail refuses the token after the incident response")

    console.click_and_wait(console.driver.find_element(By.LINK_TEXT, "timeline.md"))
    console.assert_no_csp_violation("an incident document")
    check(incident_url.rsplit("/", 1)[1] in console.driver.find_element(By.CSS_SELECTOR, "pre.document").text,
          "the incident's timeline is readable in the console")
    console.audit("incident document")
    console.visit("/console/incidents")
    console.audit("incidents")
    check(incident_url.rsplit("/", 1)[1] in console.driver.page_source, "the incident is listed")
    console.visit("/console/notices")
    console.audit("notices (operator)")


def csp_check_catches_a_violation(console):
    """The CSP check itself: an inline style added to a console page is refused and reported."""
    console.visit("/console")
    console.driver.execute_script(
        "var style = document.createElement('style'); style.textContent = 'body { color: red }'; document.head.appendChild(style);")
    WebDriverWait(console.driver, 30).until(lambda driver: driver.execute_script("return window.__cspViolations.length") > 0)
    violations = console.driver.execute_script("return window.__cspViolations")
    check(any(v.startswith("style-src") for v in violations), f"the CSP check sees a refused inline style: {violations}")
    console.driver.get_log("browser")  # read, so the next page starts clean
    console.driver.execute_script("window.__cspViolations = [];")


def axe_reports_a_known_violation(console):
    """The fixture: a page with an image without alt text must be reported."""
    console.driver.get("data:text/html;charset=utf-8,<!doctype html><html lang=en><head><title>fixture</title></head>"
                       "<body><main><img src='x.png'></main></body></html>")
    result = console.axe.run(console.driver, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    ids = [v["id"] for v in result.get("violations", [])]
    check("image-alt" in ids, f"axe reports the fixture's known violation (image-alt): {ids}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--operator", required=True, help="username:password")
    parser.add_argument("--tenant", required=True, help="issuer:username:password")
    parser.add_argument("--other-issuer", default="consumers")
    parser.add_argument("--screenshots")
    parser.add_argument("--admin-token", required=True)
    parser.add_argument("--daemon", required=True, help="client_id:secret of a confidential client of the tenant")
    parser.add_argument("--mail", required=True, help="Keybound Mail's base URL")
    parser.add_argument("--mailbox", required=True)
    arguments = parser.parse_args()
    operator_user, operator_password = arguments.operator.split(":", 1)
    tenant_issuer, tenant_user, tenant_password = arguments.tenant.split(":", 2)
    console = Console(arguments.base.rstrip("/"), arguments.screenshots)
    try:
        axe_reports_a_known_violation(console)
        csp_check_catches_a_violation(console)
        walk_tenant_admin(console, tenant_issuer, tenant_user, tenant_password, arguments.other_issuer)
        services = argparse.Namespace(other_issuer=arguments.other_issuer, admin_token=arguments.admin_token, daemon=arguments.daemon, mail=arguments.mail.rstrip("/"),
                                      mailbox=arguments.mailbox)
        walk_operator(console, operator_user, operator_password, tenant_issuer, services)
        print(f"done: {console.axe_pages} pages checked with axe", flush=True)
    except Failure as failure:
        print(f"FAILED: {failure}", flush=True)
        print(f"at {console.driver.current_url}: {console.driver.page_source[:2000]}", flush=True)
        sys.exit(1)
    finally:
        console.close()


if __name__ == "__main__":
    main()
