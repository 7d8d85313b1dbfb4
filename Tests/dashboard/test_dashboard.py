"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright.

Starts the already-built debug binary with the demo organisation, sends it some traffic, then signs in, waits for
charts with data and a decision in the explorer, checks the phone width, signing out and the server-down state.
Screenshots and the page's load figures go to $DASHBOARD_ARTIFACTS (default /tmp/portcullis-dashboard).
Any console error, uncaught exception, or request that leaves the appliance fails the test.

Run from the repository root after `swift build` (or `swift test`): `python3 -m pytest Tests/dashboard`.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PORTCULLIS_BINARY", ROOT / ".build" / "debug" / "portcullis"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("DASHBOARD_ARTIFACTS", "/tmp/portcullis-dashboard"))
ADMIN_EMAIL, PASSWORD = "admin@demo.portcullis", "portcullis-demo"
TIMEOUT_MS = 15_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The binary under test, on a free port with a fresh demo data directory."""

    def __init__(self):
        assert BINARY.exists(), f"{BINARY} is missing: build first (swift build)"
        self.data = Path(tempfile.mkdtemp(prefix="portcullis-dashboard-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(self.data / "server.log", "w")
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--demo", "--data-dir", str(self.data / "data"), "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "the server exited:\n" + (self.data / "server.log").read_text()
            try:
                if self.request("GET", "/api/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /api/v1/health within 60 s"
            time.sleep(0.2)
        self.key = (self.data / "data" / "admin.key").read_text().strip()

    def request(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None, response.headers
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None, error.headers

    def traffic(self, checks=150, offset=0):
        """Decisions, logins, listings: enough for every route class the charts show. Checks are all different (and
        differ across calls with different offsets), so each misses the decision cache."""
        users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
        actions = ["read", "update", "delete", "download"]
        for i in range(checks):
            status, _, _ = self.request("POST", "/api/v1/authz/check", {
                "user_id": users[i % len(users)], "action": actions[i % len(actions)],
                "resource_type": "generation", "resource_id": f"gen-{(offset + i) % 10000:05d}"}, self.key)
            assert status == 200
        status, login, _ = self.request("POST", "/api/v1/auth/login", {"email": "alice@demo.portcullis", "password": PASSWORD})
        assert status == 200
        self.request("GET", "/api/v1/me", token=login["token"])
        self.request("GET", "/api/v1/generations/gen-00001", token=login["token"])
        self.request("GET", "/api/v1/users?limit=5", token=self.key)
        for _ in range(5):
            self.request("GET", "/api/v1/health")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    server = Server()
    server.traffic()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Watch:
    """Collects console errors, page errors and requests to anything but the appliance."""

    def __init__(self, page, origin):
        self.problems = []
        self.allowed = []
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

        def check_origin(route):
            url = urlparse(route.request.url)
            if f"{url.scheme}://{url.netloc}" != origin and url.scheme not in ("data", "blob"):
                self.problems.append(f"request outside the appliance: {route.request.url}")
                route.abort()
            else:
                route.continue_()
        page.route("**/*", check_origin)

    def console(self, message):
        if message.type not in ("error", "warning") or "Unrecognized feature" in message.text:
            return
        url = message.location.get("url", "")
        if any(url.endswith(path) and status in message.text for path, status in self.allowed):
            return
        self.problems.append(f"console {message.type}: {message.text} ({url})")

    def expect(self, path, status):
        """A failing request the step provokes on purpose (the browser logs every non-2xx fetch)."""
        self.allowed.append((path, str(status)))

    def assert_clean(self):
        assert not self.problems, "\n".join(self.problems)


def new_page(browser, server, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page, Watch(page, server.base)


def sign_in_with_password(page):
    page.goto("/dashboard")
    expect(page.locator("#signin")).to_be_visible()
    # The keyboard alone: focus starts in the email field, Tab moves on, Enter submits.
    expect(page.locator("#login-email")).to_be_focused()
    page.keyboard.type(ADMIN_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#live")).to_be_visible()


CONTRAST_JS = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return { r, g, b, a }; };
  const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (; el; el = el.parentElement) { const c = parse(getComputedStyle(el).backgroundColor);
    if (c && c.a > 0.5) return c; } return parse(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255 }; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.offsetParent && el.tagName !== 'BODY') continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || parseFloat(style.opacity) < 0.9) continue;
    const fg = parse(style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.6 && parseInt(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return bad;
}"""


def test_headers_and_assets(server):
    """Every file has its content type, revalidates by ETag, and forbids loading anything from elsewhere."""
    for path, kind in [("/dashboard", "text/html"), ("/dashboard/app.js", "text/javascript"), ("/dashboard/style.css", "text/css"),
                       ("/dashboard/favicon.svg", "image/svg+xml")]:
        with urllib.request.urlopen(server.base + path, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith(kind), path
            assert response.headers["Cache-Control"] == "no-cache", path
            assert "default-src 'self'" in response.headers["Content-Security-Policy"], path
            etag = response.headers["ETag"]
        req = urllib.request.Request(server.base + path, headers={"If-None-Match": etag})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(req, timeout=10)
        assert not_modified.value.code == 304, path


def test_live_view(server, browser):
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 1366, "height": 900})
    # A wrong password first: the error is shown and the page stays on the sign-in form.
    watch.expect("/api/v1/auth/login", 401)
    page.goto("/dashboard")
    page.fill("#login-email", ADMIN_EMAIL)
    page.fill("#login-password", "wrong-password")
    page.click("#login-form button")
    expect(page.locator("#login-error")).to_contain_text("Wrong email or password")
    sign_in_with_password(page)
    assert page.evaluate("sessionStorage.getItem('portcullis.token')"), "the token is kept in sessionStorage"

    first_render = page.evaluate("""() => {
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
        .filter((e) => new URL(e.name).pathname.startsWith('/dashboard'));
      return { first_contentful_paint_ms: paint ? paint.startTime : null,
               dom_content_loaded_ms: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
               transfer_bytes: entries.reduce((s, e) => s + e.transferSize, 0),
               body_bytes: entries.reduce((s, e) => s + e.decodedBodySize, 0),
               files: entries.map((e) => new URL(e.name).pathname) };
    }""")

    # Charts with data: the critical_auth class (the checks above, and the sign-in) has a P99 line of at least two
    # refreshes, and the tiles show figures. The new checks all miss the cache: its hit rate falls below 85 % and
    # the info alert is raised.
    server.traffic(checks=150, offset=1000)
    chart = page.locator('[data-route-class="critical_auth"] svg')
    expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"))
    p99 = page.locator('[data-route-class="critical_auth"] path.line.p99')
    page.wait_for_function("() => +document.querySelector('[data-route-class=critical_auth] path.line.p99')?.dataset.points >= 2")
    assert int(p99.get_attribute("data-points")) >= 2
    page.wait_for_function("() => +document.querySelector('[data-chart=throughput] svg')?.dataset.points >= 2")
    expect(page.locator("#conn")).to_have_class("conn live")
    expect(page.locator('[data-tile="Throughput"] .value')).to_contain_text("req/s")
    expect(page.locator('[data-tile="Cache hit rate"] .value')).to_contain_text("%")
    expect(page.locator("#targets table tbody tr").first).to_be_visible()
    expect(page.locator("#cache table tbody tr")).to_have_count(3)
    expect(page.locator("#cache")).to_contain_text("L1")
    expect(page.locator("#system dl.figures").first).to_be_visible()
    expect(page.locator("#components table tbody tr").first).to_be_visible()
    expect(page.locator("#queries table tbody tr").first).to_be_visible()
    expect(page.locator('#alerts-active [data-alert="cache_hit_rate_low"]')).to_be_visible()
    expect(page.locator("#shedding")).to_contain_text("Load shedding")

    assert page.evaluate(CONTRAST_JS) == [], "text below WCAG AA contrast"
    page.screenshot(path=str(ARTIFACTS / "live-desktop.png"), full_page=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(first_render, indent=2))
    print("\nload figures:", json.dumps(first_render))
    assert first_render["transfer_bytes"] > 0

    page.close()
    watch.assert_clean()


def test_decision_explorer(server, browser):
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 1366, "height": 900})
    sign_in_with_password(page)
    page.click("#nav-explorer")
    expect(page.locator("#explorer")).to_be_visible()
    expect(page.locator("#live")).to_be_hidden()

    page.fill("#check-user", "bob")
    page.select_option("#check-type", "generation")
    page.select_option("#check-action", "read")
    page.fill("#check-resource", "gen-00001")
    page.click("#check-form button")
    decision = page.locator("#decision [data-decision]")
    expect(decision).to_be_visible()
    assert decision.get_attribute("data-decision") in ("allow", "deny")
    expect(page.locator("#decision ol.rules li").first).to_be_visible()
    expect(page.locator("#decision")).to_contain_text("revision")

    # An invalid field is the server's 400, shown next to the form.
    watch.expect("/api/v1/authz/check", 400)
    page.fill("#check-resource", "not valid!")
    page.click("#check-form button")
    expect(page.locator("#decision .error")).to_contain_text("resource_id")
    page.fill("#check-resource", "gen-00001")
    page.click("#check-form button")
    expect(decision).to_be_visible()

    # What alice can read, a page at a time, then forward and back.
    page.fill("#res-user", "alice")
    page.select_option("#res-type", "generation")
    page.select_option("#res-action", "read")
    page.click("#resources-form button")
    expect(page.locator("#resources-list li").first).to_be_visible()
    summary = page.locator("#resources-list [data-summary]")
    expect(summary).to_contain_text("Page 1")
    if page.locator('#resources-list [data-page="next"]').is_enabled():
        first_id = page.locator("#resources-list li").first.inner_text()
        page.click('#resources-list [data-page="next"]')
        expect(summary).to_contain_text("Page 2")
        assert page.locator("#resources-list li").first.inner_text() != first_id
        page.click('#resources-list [data-page="previous"]')
        expect(summary).to_contain_text("Page 1")

    # Who can download a public project's generation.
    page.select_option("#sub-type", "project")
    page.fill("#sub-resource", "project-02")
    page.select_option("#sub-action", "read")
    page.click("#subjects-form button")
    expect(page.locator("#subjects-list li").first).to_be_visible()

    # A listed id opens a check of it.
    page.locator("#subjects-list li button").first.click()
    expect(page.locator("#decision [data-decision]")).to_be_visible()
    expect(page.locator("#check-resource")).to_have_value("project-02")

    assert page.evaluate(CONTRAST_JS) == [], "text below WCAG AA contrast"
    page.screenshot(path=str(ARTIFACTS / "explorer-desktop.png"), full_page=True)

    # Signing out forgets the token and logs it out on the server.
    token = page.evaluate("sessionStorage.getItem('portcullis.token')")
    with page.expect_response("**/api/v1/auth/logout") as logout:
        page.click("#sign-out")
    assert logout.value.status == 204
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin-notice")).to_contain_text("Signed out")
    assert page.evaluate("sessionStorage.getItem('portcullis.token')") is None
    assert server.request("GET", "/api/v1/me", token=token)[0] == 401
    page.close()
    watch.assert_clean()


def test_time_bounds_in_the_explorer(server, browser):
    """A membership that starts in two days: denied now and shown pending; asked "as of" three days ahead, allowed and
    in effect; six days ahead, past its expiry, denied and expired."""
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rfc = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    status = server.request("POST", "/api/v1/users", {"id": "contractor", "email": "contractor@demo.portcullis"}, server.key)
    assert status[0] == 201, status
    status = server.request("PUT", "/api/v1/teams/studio/members/contractor",
                               {"role": "viewer", "starts_at": rfc(now + timedelta(days=2)), "expires_at": rfc(now + timedelta(days=5))},
                               server.key)
    assert status[0] == 201, status

    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 1366, "height": 900})
    sign_in_with_password(page)
    page.click("#nav-explorer")
    page.fill("#check-user", "contractor")
    page.select_option("#check-type", "team")
    page.select_option("#check-action", "read")
    page.fill("#check-resource", "studio")
    decision = page.locator("#decision [data-decision]")
    state = page.locator("#decision [data-membership-state]")

    def ask(as_of, verdict, membership):
        page.fill("#check-as-of", as_of.strftime("%Y-%m-%dT%H:%M:%S") if as_of else "")
        page.click("#check-form button")
        expect(decision).to_have_attribute("data-decision", verdict)
        expect(state).to_have_attribute("data-membership-state", membership)

    ask(None, "deny", "pending")
    expect(page.locator("#decision ol.rules")).to_contain_text("starts at")
    ask(now + timedelta(days=3), "allow", "in effect")
    expect(page.locator("#decision")).to_contain_text(rfc(now + timedelta(days=3)).replace("Z", ".000Z"))
    expect(page.locator("#decision")).to_contain_text("as of")
    ask(now + timedelta(days=6), "deny", "expired")
    expect(page.locator("#decision ol.rules")).to_contain_text("expired at")
    page.screenshot(path=str(ARTIFACTS / "explorer-as-of.png"), full_page=True)
    page.close()
    watch.assert_clean()


def test_audit_view(server, browser):
    """Changes appear as they are committed (the change stream, read with the session's token); a logged deny shows
    the rules it was decided by."""
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 1366, "height": 900})
    sign_in_with_password(page)
    page.click("#nav-audit")
    expect(page.locator("#audit")).to_be_visible()
    expect(page.locator("#live")).to_be_hidden()
    # Following: the stream's position is fixed, so the next write is the first change it shows.
    expect(page.locator("#changes-state")).to_have_text("following")
    status, _, _ = server.request("POST", "/api/v1/users", {"id": "audited-user", "email": "audited@example.com"}, server.key)
    assert status == 201
    expect(page.locator("#changes tbody tr").first).to_contain_text("audited-user")
    expect(page.locator("#changes tbody tr").first).to_contain_text("create")

    # A deny (the default mode logs denies): a check about a generation that does not exist.
    status, denied, _ = server.request("POST", "/api/v1/authz/check", {
        "user_id": "bob", "action": "read", "resource_type": "generation", "resource_id": "gen-missing"}, server.key)
    assert status == 200 and denied["allowed"] is False
    page.fill("#denies-user", "bob")
    page.fill("#denies-resource", "gen-missing")
    page.click("#denies-form button")
    button = page.locator(f'#denies button[data-decision-id="{denied["decision_id"]}"]')
    expect(button).to_be_visible()
    button.click()
    logged = page.locator(f'#logged-decision [data-logged-decision="{denied["decision_id"]}"]')
    expect(logged).to_contain_text("Denied")
    expect(page.locator("#logged-decision ol.rules li").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=True)

    # Leaving the view stops the stream; nothing is left failing in the console.
    page.click("#nav-live")
    expect(page.locator("#live")).to_be_visible()
    page.close()
    watch.assert_clean()


def test_phone_width_with_api_key(server, browser):
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 390, "height": 844},
                           device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto("/dashboard")
    page.fill("#key-input", server.key)
    page.click("#key-form button")
    expect(page.locator("#live")).to_be_visible()
    expect(page.locator("#who")).to_have_text("admin API key")
    page.wait_for_function("() => +document.querySelector('[data-route-class=critical_auth] svg')?.dataset.points >= 1")
    expect(page.locator("#queries table tbody tr").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at phone width"
    page.screenshot(path=str(ARTIFACTS / "live-phone.png"), full_page=False)
    page.click("#nav-explorer")
    page.fill("#check-user", "alice")
    page.fill("#check-resource", "gen-00002")
    page.click("#check-form button")
    expect(page.locator("#decision [data-decision]")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the explorer scrolls sideways by {overflow}px at phone width"
    page.screenshot(path=str(ARTIFACTS / "explorer-phone.png"), full_page=True)
    page.close()
    watch.assert_clean()


def test_revoked_token_and_server_down(server, browser):
    """Last, because it stops the server: a revoked token signs the page out; a dead server is said so."""
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 1024, "height": 768})
    sign_in_with_password(page)
    expect(page.locator("#conn")).to_have_class("conn live")
    token = page.evaluate("sessionStorage.getItem('portcullis.token')")
    watch.expect("/api/v1/performance/dashboard", 401)
    watch.expect("/api/v1/performance/validate", 401)
    watch.expect("/api/v1/performance/health", 401)
    watch.expect("/api/v1/performance/queries", 401)
    assert server.request("POST", "/api/v1/auth/logout", token=token)[0] == 204
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin-notice")).to_contain_text("session has ended")

    page.fill("#key-input", server.key)
    page.click("#key-form button")
    expect(page.locator("#conn")).to_have_class("conn live")
    expect(page.locator("#user-ids[data-loaded]")).to_be_attached()  # nothing left in flight but the refresh
    server.stop()
    for path in ("/api/v1/performance/dashboard", "/api/v1/performance/validate", "/api/v1/performance/health",
                 "/api/v1/performance/queries"):
        watch.expect(path, "ERR_CONNECTION_REFUSED")
    expect(page.locator("#banner")).to_contain_text("cannot be reached")
    expect(page.locator("#conn-text")).to_have_text("server down")
    page.screenshot(path=str(ARTIFACTS / "server-down.png"))
    page.close()
    watch.assert_clean()
