#!/usr/bin/env python3
"""Walks the Keybound console in a real browser (headless Chromium through Selenium).

Run by ConsoleBrowserTests against a live `keybound serve` (development bootstrap). It signs in
as the operator and as a tenant admin, walks the pages of docs/console.md with axe-core on each,
walks each row of its permission table (clients, users, server clients, rotation, revocation, new
issuers and resources, and the 403s), runs a hunt and an incident response end to end, posts each
of the 18 state-changing forms without its CSRF token first (nothing may change), and fails
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
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
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

        def replaced(_):
            # Chrome may answer a check of the old page's node, while the next page replaces it,
            # with "Node with given id does not belong to the document" instead of a stale element.
            try:
                old.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                if "does not belong to the document" in str(error):
                    return True
                raise
        WebDriverWait(self.driver, 60).until(replaced)

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

    walk_clients(console, issuer)
    walk_users(console, issuer)

    console.visit(f"/console/issuers/{issuer}/admin-log")
    console.audit("admin log (tenant admin)")
    check("key.rotate" in console.driver.page_source and "browser test" in console.driver.page_source,
          "the rotation is in the issuer's admin log")

    walk_server_clients(console, issuer)
    console.visit(f"/console/issuers/{issuer}/alerts")
    console.audit("alerts of the issuer (tenant admin)")
    console.visit(f"/console/issuers/{issuer}/audit")
    console.audit("audit records (tenant admin)")
    check(console.driver.find_element(By.ID, "audit-chain").text.startswith("The chain verified at"),
          "the tenant admin's audit page shows the chain verified")
    console.visit("/console/notices")
    console.audit("notices (tenant admin)")
    check("The notices addressed to your organisation" in console.driver.page_source, "a tenant admin's notices page is its organisation's")
    console.visit("/console")
    check(not console.driver.find_elements(By.CSS_SELECTOR, "form[action='/console/issuers']"), "a tenant admin has no form to create issuers")
    kid = console_active_kid(console, issuer)
    for path in (f"/console/issuers/{other_issuer}", f"/console/issuers/{other_issuer}/admin-log", "/console/issuers/no-such-issuer",
                 f"/console/issuers/{other_issuer}/clients", f"/console/issuers/{other_issuer}/users", f"/console/issuers/{other_issuer}/resources",
                 f"/console/issuers/{other_issuer}/audit", f"/console/issuers/{issuer}/keys/{kid}/revoke", "/console/alerts", "/console/audit",
                 "/console/hunt", "/console/incidents", f"/console/issuers/{issuer}/keys/{kid}/respond"):
        console.visit(path)
        check(console.title().startswith("Forbidden"), f"a tenant admin gets Forbidden at {path}")
    console.visit("/console")
    console.post_without_csrf("header form", "the sign-out form")
    console.visit("/console")
    check("Signed in as" in console.driver.page_source, "still signed in after the refused sign-out")
    console.sign_out()


def row_of(console, code):
    """The table row whose first cells hold `<code>code</code>`."""
    return console.driver.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{code}']]")


def console_active_kid(console, issuer):
    """The kid of the issuer's first active key on its console page."""
    console.visit(f"/console/issuers/{issuer}")
    return console.driver.find_element(By.XPATH, "//tr[td/span[contains(@class,'state-active')]]/td/code").text


def client_token(console, issuer, client_id, secret):
    """The token endpoint's answer to the client's client_credentials request for Mail: (status, body)."""
    return http("POST", f"{console.base}/{issuer}/token",
                {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
                 "Content-Type": "application/x-www-form-urlencoded"},
                b"grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default")


def token_roles(body):
    payload = json.loads(body)["access_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("roles", [])


def walk_clients(console, issuer):
    """Permission rows "create, disable, enable clients; rotate a client secret; grant client roles":
    each form posted without its CSRF token first (refused, nothing changed), then with it, and the
    effect checked at the token endpoint, not only on the page."""
    client_id = "browser-test-app"
    console.visit(f"/console/issuers/{issuer}/clients")
    console.audit("clients (tenant admin)")
    console.screenshot("clients")
    console.driver.find_element(By.ID, "client-name").send_keys("Browser test app")
    console.driver.find_element(By.ID, "client-id").send_keys(client_id)
    console.driver.find_element(By.CSS_SELECTOR, "input[name=grant_client_credentials]").click()
    console.post_without_csrf("form[action$='/clients']", "the new-client form")
    console.audit("a refused form")
    console.visit(f"/console/issuers/{issuer}/clients")
    check(not console.driver.find_elements(By.XPATH, f"//td/code[normalize-space()='{client_id}']"), "no client was created without the CSRF token")
    console.driver.find_element(By.ID, "client-name").send_keys("Browser test app")
    console.driver.find_element(By.ID, "client-id").send_keys(client_id)
    console.driver.find_element(By.CSS_SELECTOR, "input[name=grant_client_credentials]").click()
    console.submit("form[action$='/clients']")
    console.assert_no_csp_violation("the new client's secret page")
    secret = console.driver.find_element(By.CSS_SELECTOR, "code.secret").text
    check(secret.startswith("kbs_") and secret not in console.driver.current_url, "the new client's secret is shown once, not in the URL")
    console.audit("client secret (tenant admin)")
    check(client_token(console, issuer, client_id, secret)[0] != 401, "the new client authenticates with its secret")

    base = f"/console/issuers/{issuer}/clients/{client_id}"
    console.visit(f"/console/issuers/{issuer}/clients")
    console.driver.find_element(By.ID, f"roles-{client_id}").send_keys("api://mail/Mail.Read.All")
    console.post_without_csrf(f"form[action='{base}/roles']", "the grant-roles form")
    console.visit(f"/console/issuers/{issuer}/clients")
    check("Mail.Read.All" not in row_of(console, client_id).text, "no role was granted without the CSRF token")
    console.driver.find_element(By.ID, f"roles-{client_id}").send_keys("api://mail/Mail.Read.All")
    console.submit(f"form[action='{base}/roles']")
    check("api://mail/Mail.Read.All" in row_of(console, client_id).text, "the granted role is on the client's row")
    status, body = client_token(console, issuer, client_id, secret)
    check(status == 200 and token_roles(body) == ["Mail.Read.All"], f"the client's token carries the granted role ({status})")

    console.post_without_csrf(f"form[action='{base}/disable']", "the disable-client form")
    console.visit(f"/console/issuers/{issuer}/clients")
    check("enabled" in row_of(console, client_id).text, "the client is still enabled after the refused form")
    console.submit(f"form[action='{base}/disable']")
    check("disabled" in row_of(console, client_id).text, "the client's row shows it disabled")
    check(client_token(console, issuer, client_id, secret)[0] == 401, "a disabled client is refused at the token endpoint")
    console.post_without_csrf(f"form[action='{base}/enable']", "the enable-client form")
    console.visit(f"/console/issuers/{issuer}/clients")
    check("disabled" in row_of(console, client_id).text, "the client is still disabled after the refused form")
    console.submit(f"form[action='{base}/enable']")
    check(client_token(console, issuer, client_id, secret)[0] == 200, "the client, enabled again, gets tokens")

    console.post_without_csrf(f"form[action='{base}/secret']", "the new-secret form")
    check(client_token(console, issuer, client_id, secret)[0] == 200, "the secret is unchanged after the refused form")
    console.visit(f"/console/issuers/{issuer}/clients")
    console.submit(f"form[action='{base}/secret']")
    rotated = console.driver.find_element(By.CSS_SELECTOR, "code.secret").text
    check(rotated != secret and rotated not in console.driver.current_url, "a new secret is shown once, not in the URL")
    check(client_token(console, issuer, client_id, secret)[0] == 401 and client_token(console, issuer, client_id, rotated)[0] == 200,
          "the old secret is refused and the new one accepted")


def walk_users(console, issuer):
    """Permission rows "create, disable, enable users; set users' roles", each form posted without
    its CSRF token first."""
    username = "browser-user"
    console.visit(f"/console/issuers/{issuer}/users")
    console.audit("users (tenant admin)")
    console.screenshot("users")

    def fill():
        console.driver.find_element(By.ID, "user-username").send_keys(username)
        console.driver.find_element(By.ID, "user-name").send_keys("Browser User")
        console.driver.find_element(By.ID, "user-password").send_keys("a browser test password 1")
    fill()
    console.post_without_csrf("form[action$='/users']", "the new-user form")
    console.visit(f"/console/issuers/{issuer}/users")
    check(not console.driver.find_elements(By.XPATH, f"//td/code[normalize-space()='{username}']"), "no user was created without the CSRF token")
    fill()
    console.submit("form[action$='/users']")
    check("Browser User" in row_of(console, username).text, "the new user is listed")

    base = f"/console/issuers/{issuer}/users/{username}"
    field = console.driver.find_element(By.ID, f"roles-{username}")
    field.clear()
    field.send_keys("api://mail/Mail.Read.All")
    console.post_without_csrf(f"form[action='{base}/roles']", "the set-roles form")
    console.visit(f"/console/issuers/{issuer}/users")
    check("Mail.Read.All" not in row_of(console, username).text, "no role was set without the CSRF token")
    field = console.driver.find_element(By.ID, f"roles-{username}")
    field.clear()
    field.send_keys("api://mail/Mail.Read.All")
    console.submit(f"form[action='{base}/roles']")
    check("api://mail/Mail.Read.All" in row_of(console, username).text, "the user's row shows the role set")
    field = console.driver.find_element(By.ID, f"roles-{username}")
    field.clear()
    field.send_keys("keybound://console/Console.Operator")
    console.submit(f"form[action='{base}/roles']")
    check(console.title().startswith("Refused") and "Console.Operator" in console.driver.page_source,
          "a tenant admin cannot grant Console.Operator (it exists only in the operator issuer)")

    console.visit(f"/console/issuers/{issuer}/users")
    console.post_without_csrf(f"form[action='{base}/disable']", "the disable-user form")
    console.visit(f"/console/issuers/{issuer}/users")
    check("enabled" in row_of(console, username).text, "the user is still enabled after the refused form")
    console.submit(f"form[action='{base}/disable']")
    check("disabled" in row_of(console, username).text, "the user's row shows them disabled")
    console.post_without_csrf(f"form[action='{base}/enable']", "the enable-user form")
    console.visit(f"/console/issuers/{issuer}/users")
    check("disabled" in row_of(console, username).text, "the user is still disabled after the refused form")
    console.submit(f"form[action='{base}/enable']")
    check("enabled" in row_of(console, username).text and "disabled" not in row_of(console, username).text, "the user is enabled again")


def walk_server_clients(console, issuer):
    """Permission row "name a resource's server clients" (and "register resources": no)."""
    console.visit(f"/console/issuers/{issuer}/resources")
    console.audit("resources (tenant admin)")
    check(not console.driver.find_elements(By.CSS_SELECTOR, "form[action$='/roles'], form[action$='/resources']"),
          "a tenant admin has no form to register resources or define roles")
    form = "form[action$='/api%3A%2F%2Fmail/server-clients']"
    field = console.driver.find_element(By.CSS_SELECTOR, form + " input[name=server_clients]")
    before = field.get_attribute("value")
    field.send_keys(" browser-test-app")
    console.post_without_csrf(form, "the server-clients form")
    console.visit(f"/console/issuers/{issuer}/resources")
    check(console.driver.find_element(By.CSS_SELECTOR, form + " input[name=server_clients]").get_attribute("value") == before,
          "the server clients are unchanged after the refused form")
    console.driver.find_element(By.CSS_SELECTOR, form + " input[name=server_clients]").send_keys(" browser-test-app")
    console.submit(form)
    value = console.driver.find_element(By.CSS_SELECTOR, form + " input[name=server_clients]").get_attribute("value")
    check(value.split() == before.split() + ["browser-test-app"], f"the resource's server clients are saved: {value}")


def walk_operator_forms(console):
    """Permission rows "list or create issuers" and "register resources and define their roles",
    for an operator: a new tenant issuer, a resource on it and a role on that resource."""
    issuer = "browser-tenant"
    console.visit("/console")

    def fill():
        console.driver.find_element(By.ID, "issuer-id").send_keys(issuer)
        Select(console.driver.find_element(By.ID, "issuer-kind")).select_by_value("tenant")
        console.driver.find_element(By.ID, "issuer-tenant-id").send_keys("browser-tenant-tid")
        Select(console.driver.find_element(By.ID, "issuer-algorithm")).select_by_value("EdDSA")
    fill()
    console.post_without_csrf("form[action='/console/issuers']", "the new-issuer form")
    console.visit("/console")
    check(issuer not in [a.text for a in console.driver.find_elements(By.CSS_SELECTOR, "main table a")], "no issuer was created without the CSRF token")
    fill()
    console.submit("form[action='/console/issuers']")
    console.wait_for_path(f"/console/issuers/{issuer}")
    console.assert_no_csp_violation("the new issuer's page")
    keys = [[cell.text for cell in key.find_elements(By.TAG_NAME, "td")[1:4]] for key in console.key_rows()]
    check(any(purpose.startswith("access") and algorithm == "EdDSA" and state == "active" for purpose, algorithm, state in keys),
          f"the new issuer's timeline has its active EdDSA access-token key: {keys}")
    enable = f"form[action='/console/issuers/{issuer}/console-client']"
    console.post_without_csrf(enable, "the enable-console-sign-in form")
    console.visit(f"/console/issuers/{issuer}")
    check(console.driver.find_elements(By.CSS_SELECTOR, enable), "console sign-in is still off after the refused form")
    console.submit(enable)
    console.wait_for_path(f"/console/issuers/{issuer}")
    check(not console.driver.find_elements(By.CSS_SELECTOR, enable), "the new issuer's console client is registered")

    resources = f"/console/issuers/{issuer}/resources"
    console.visit(resources)
    console.driver.find_element(By.ID, "resource-audience").send_keys("api://calendar")
    console.driver.find_element(By.ID, "resource-scopes").send_keys("Calendars.Read")
    console.driver.find_element(By.ID, "resource-roles").send_keys("Calendars.Read.All")
    console.post_without_csrf(f"form[action='{resources}']", "the register-resource form")
    console.visit(resources)
    check(not console.driver.find_elements(By.XPATH, "//td/code[normalize-space()='api://calendar']"), "no resource was registered without the CSRF token")
    console.driver.find_element(By.ID, "resource-audience").send_keys("api://calendar")
    console.driver.find_element(By.ID, "resource-scopes").send_keys("Calendars.Read")
    console.driver.find_element(By.ID, "resource-roles").send_keys("Calendars.Read.All")
    console.submit(f"form[action='{resources}']")
    check("Calendars.Read.All" in row_of(console, "api://calendar").text, "the registered resource is listed with its role")
    role_form = f"form[action='{resources}/api%3A%2F%2Fcalendar/roles']"
    console.driver.find_element(By.CSS_SELECTOR, role_form + " input[name=role]").send_keys("Calendars.Write.All")
    console.post_without_csrf(role_form, "the new-role form")
    console.visit(resources)
    check("Calendars.Write.All" not in row_of(console, "api://calendar").text, "no role was added without the CSRF token")
    console.driver.find_element(By.CSS_SELECTOR, role_form + " input[name=role]").send_keys("Calendars.Write.All")
    console.submit(role_form)
    check("Calendars.Write.All" in row_of(console, "api://calendar").text, "the new role is on the resource's row")
    console.audit("resources (operator)")
    console.screenshot("resources")


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

    walk_operator_forms(console)
    console.visit(f"/console/issuers/{tenant}/clients")
    console.audit("clients (operator)")
    console.submit("form[action$='/clients/browser-test-app/disable']")
    check("disabled" in row_of(console, "browser-test-app").text, "an operator disables a tenant's client")
    console.visit(f"/console/issuers/{tenant}/users")
    console.audit("users (operator)")
    console.submit("form[action$='/users/browser-user/disable']")
    check("disabled" in row_of(console, "browser-user").text, "an operator disables a tenant's user")
    console.visit(f"/console/issuers/{tenant}/admin-log")
    check("key.revoke" in console.driver.page_source, "the revocation is in the admin log")
    check("issuer.create" not in console.driver.page_source, "the tenant's admin log holds its own entries only")
    console.audit("admin log (operator)")
    console.screenshot("admin-log")
    console.visit(f"/console/issuers/{tenant}/alerts")
    check("key_revoked" in console.driver.page_source, "the issuer's alerts page lists the key_revoked alert")
    console.audit("alerts of the issuer (operator)")
    console.visit(f"/console/issuers/{tenant}/audit")
    check(console.driver.find_element(By.ID, "audit-chain").text.startswith("The chain verified at"),
          "the operator's view of the tenant's audit page shows the chain verified")
    console.audit("audit records of the issuer (operator)")
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
