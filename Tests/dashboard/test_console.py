"""The admin console in a real browser (Debian's headless Chromium through Playwright), over the built debug binary
with the demo organisation: a user's whole life (created, put in a team, given a role, checked in the explorer,
disabled so the check turns to deny, deleted), an API key created (its secret shown once) and revoked (the next
request with it is 401), the signing keys rotated and retired, a visibility change confirmed with its preview count,
and a keyboard-only flow. Any console error, uncaught exception or request that leaves the appliance fails a test.
Screenshots of each view go to $CONSOLE_ARTIFACTS (default /tmp/portcullis-console).

Run from the repository root after `swift build`: `python3 -m pytest Tests/dashboard/test_console.py`.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_dashboard import CONTRAST_JS, Server, browser, new_page, sign_in_with_password  # noqa: F401 (browser is a fixture)

ARTIFACTS = Path(os.environ.get("CONSOLE_ARTIFACTS", "/tmp/portcullis-console"))


@pytest.fixture(scope="module")
def server():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = Server()
    yield server
    server.cleanup()


def console_page(browser, server):
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 1366, "height": 900})
    sign_in_with_password(page)
    return page, watch


def confirm(page, expected_text, screenshot=None):
    """The confirmation says what will change; the confirm button goes ahead."""
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(expected_text)
    expect(page.locator("#confirm-cancel")).to_be_focused()
    if screenshot:
        page.screenshot(path=str(ARTIFACTS / screenshot))
    text = dialog.inner_text()
    page.click("#confirm-ok")
    expect(dialog).to_be_hidden()
    return text


def saved_revision(page, status_id):
    status = page.locator(f"#{status_id}")
    expect(status).to_have_attribute("data-revision", re.compile(r"^\d+$"))
    return int(status.get_attribute("data-revision"))


def check_in_explorer(page, user, resource):
    page.click("#nav-explorer")
    page.fill("#check-user", user)
    page.select_option("#check-type", "generation")
    page.select_option("#check-action", "read")
    page.fill("#check-resource", resource)
    page.click("#check-form button")
    decision = page.locator(f'#decision [data-decision]:has-text("{user} read generation {resource}")')
    expect(decision).to_be_visible()
    return decision


def test_user_lifecycle(server, browser):
    page, watch = console_page(browser, server)
    status, _, _ = server.request("POST", "/api/v1/projects", {
        "id": "crew-project", "name": "Crew", "owner_id": "alice", "visibility": "team"}, server.key)
    assert status == 201

    # Created, with the revision the write produced; an invalid email first is shown next to its field.
    page.click("#nav-users")
    expect(page.locator("#users")).to_be_visible()
    watch.expect("/api/v1/users", 400)
    page.fill("#new-user-email", "not an email")
    page.click("#user-create-form button[type=submit]")
    expect(page.locator('#user-create-form [data-error-for="email"]')).to_contain_text("email")
    expect(page.locator("#new-user-email")).to_have_attribute("aria-invalid", "true")
    page.fill("#new-user-email", "Dana@Example.com")
    page.fill("#new-user-name", "Dana Console")
    page.fill("#new-user-id", "dana")
    page.fill("#new-user-password", "dana-password-1")
    page.click("#user-create-form button[type=submit]")
    created = saved_revision(page, "users-status")
    expect(page.locator("#users-status")).to_contain_text("Created user dana")
    expect(page.locator("#user-detail")).to_have_attribute("data-user-id", "dana")
    expect(page.locator("#user-memberships")).to_contain_text("Not a member")
    page.screenshot(path=str(ARTIFACTS / "users.png"), full_page=True)

    # Put in a team by email, then given another role inline.
    page.click("#nav-teams")
    page.fill("#new-team-name", "Crew")
    page.fill("#new-team-owner", "alice")
    page.fill("#new-team-id", "crew")
    page.click("#team-create-form button[type=submit]")
    assert saved_revision(page, "teams-status") > created
    expect(page.locator("#team-detail")).to_have_attribute("data-team-id", "crew")
    # The team search is the server's (id or name prefix, ASCII case folded), not a filter over the first page.
    page.fill("#team-q", "CR")
    page.press("#team-q", "Enter")
    expect(page.locator("#team-results [data-team-id]")).to_have_count(1)
    expect(page.locator('#team-results [data-team-id="crew"]')).to_be_visible()
    status, _, _ = server.request("PATCH", "/api/v1/projects/crew-project", {"team_id": "crew"}, server.key)
    assert status == 200
    status, _, _ = server.request("POST", "/api/v1/generations", {"id": "gen-crew", "owner_id": "alice", "project_id": "crew-project"},
                                  server.key)
    assert status == 201
    page.fill("#add-member-who", "dana@example.com")
    page.select_option("#add-member-role", "viewer")
    page.click("#member-add-form button[type=submit]")
    row = page.locator('#team-members tr:has([data-member="dana"])')
    expect(row).to_be_visible()
    expect(row).to_contain_text("in effect")
    expect(page.locator("#teams-status")).to_contain_text("Added dana to crew as viewer")
    row.locator("select").select_option("editor")
    row.locator('input[aria-label="Expires (UTC) of dana"]').fill("2099-12-31T23:59:00")
    row.locator("button", has_text="Save").click()
    expect(page.locator("#teams-status")).to_contain_text("Saved dana's membership of crew: editor")
    saved_revision(page, "teams-status")
    members = server.request("GET", "/api/v1/teams/crew/members", token=server.key)[1]["items"]
    dana = next(m for m in members if m["user_id"] == "dana")
    assert dana["role"] == "editor" and dana["expires_at"] == "2099-12-31T23:59:00.000Z"
    page.screenshot(path=str(ARTIFACTS / "teams.png"), full_page=True)

    # Checked in the explorer: the team role allows.
    decision = check_in_explorer(page, "dana", "gen-crew")
    assert decision.get_attribute("data-decision") == "allow"
    expect(page.locator("#decision")).to_contain_text("team_role:editor")

    # The user's page lists the team; "what can this user access?" opens the explorer's listing.
    page.click("#nav-users")
    page.fill("#user-q", "DANA@")
    page.click("#user-search-form button")
    page.click('#user-results [data-user-id="dana"]')
    expect(page.locator("#user-memberships")).to_contain_text("crew")
    expect(page.locator("#user-memberships")).to_contain_text("editor")
    page.click("#user-open-access")
    expect(page.locator("#explorer")).to_be_visible()
    expect(page.locator("#res-user")).to_have_value("dana")
    expect(page.locator("#resources-list li", has_text="gen-crew")).to_be_visible()

    # Disabled: the confirmation names the consequences; the check turns to deny.
    page.click("#nav-users")
    page.click("#user-toggle-status")
    confirm(page, "every check for them answers deny")
    expect(page.locator('#user-summary [data-user-status="disabled"]')).to_be_visible()
    disabled = saved_revision(page, "users-status")
    decision = check_in_explorer(page, "dana", "gen-crew")
    assert decision.get_attribute("data-decision") == "deny"
    expect(page.locator("#decision")).to_contain_text("user_inactive")
    assert int(page.locator("#decision dd").nth(3).inner_text()) >= disabled

    # Deleted, after a confirmation that names the user; gone from the search.
    page.click("#nav-users")
    page.click("#user-delete")
    text = confirm(page, "dana@example.com", screenshot="confirm-delete-user.png")
    assert "Delete user dana" in text
    expect(page.locator("#users-status")).to_contain_text("Deleted user dana")
    assert server.request("GET", "/api/v1/users/dana", token=server.key)[0] == 404
    page.fill("#user-q", "dana")
    page.click("#user-search-form button")
    expect(page.locator("#user-results")).to_contain_text("Nothing matches")

    assert page.evaluate(CONTRAST_JS) == [], "text below WCAG AA contrast"
    page.close()
    watch.assert_clean()


def test_keys(server, browser):
    page, watch = console_page(browser, server)
    page.click("#nav-keys")
    expect(page.locator("#keys")).to_be_visible()
    page.fill("#new-key-name", "console-ci")
    page.click("#key-create-form button[type=submit]")
    secret_field = page.locator("#secret-value")
    expect(secret_field).to_be_visible()
    secret = secret_field.input_value()
    assert len(secret) >= 32
    saved_revision(page, "keys-status")
    expect(page.locator("#secret-copy")).to_be_visible()
    page.click("#secret-copy")
    expect(page.locator("#secret-copy")).to_have_text(re.compile("Copied|Selected"))
    page.screenshot(path=str(ARTIFACTS / "keys-secret-once.png"), full_page=True)
    check = {"user_id": "alice", "action": "read", "resource_type": "generation", "resource_id": "gen-00001"}
    assert server.request("POST", "/api/v1/authz/check", check, secret)[0] == 200

    # Shown once: dismissed, or the view left, and it is gone from the page; the list never has it.
    page.click("#secret-done")
    expect(page.locator("#secret-once")).to_be_hidden()
    assert secret not in page.content()
    page.click("#nav-users")
    page.click("#nav-keys")
    assert secret not in page.content()

    key_id = next(k["id"] for k in server.request("GET", "/api/v1/api-keys", token=server.key)[1]["items"] if k["name"] == "console-ci")
    page.click(f'#api-keys [data-revoke="{key_id}"]')
    confirm(page, "refused (401)")
    expect(page.locator("#keys-status")).to_contain_text(f"Revoked key {key_id}")
    saved_revision(page, "keys-status")
    assert server.request("POST", "/api/v1/authz/check", check, secret)[0] == 401

    # Signing keys: rotate (the new key signs), retire the old one.
    first = server.request("GET", "/api/v1/signing-keys", token=server.key)[1]["active"]
    page.click("#signing-rotate")
    confirm(page, "keep working until their key is retired")
    expect(page.locator("#signing-keys tbody tr")).to_have_count(2)
    page.click(f'#signing-keys [data-retire="{first}"]')
    confirm(page, first)
    expect(page.locator("#keys-status")).to_contain_text(f"Retired signing key {first}")
    keys = server.request("GET", "/api/v1/signing-keys", token=server.key)[1]
    assert keys["active"] != first and next(k for k in keys["items"] if k["kid"] == first)["retired"]
    assert page.evaluate(CONTRAST_JS) == [], "text below WCAG AA contrast"
    page.screenshot(path=str(ARTIFACTS / "keys.png"), full_page=True)
    page.close()
    watch.assert_clean()


def test_visibility_change_with_preview(server, browser):
    page, watch = console_page(browser, server)
    # A private project of the studio team with three generations: two of alice's, one of a member's own.
    assert server.request("POST", "/api/v1/projects", {
        "id": "vis-project", "name": "Visibility", "owner_id": "alice", "team_id": "studio", "visibility": "private"}, server.key)[0] == 201
    members = [m["user_id"] for m in server.request("GET", "/api/v1/teams/studio/members", token=server.key)[1]["items"]
               if m["user_id"] != "alice" and m["is_active"]]
    for gid, owner in [("vis-1", "alice"), ("vis-2", "alice"), ("vis-3", members[0])]:
        assert server.request("POST", "/api/v1/generations", {"id": gid, "owner_id": owner, "project_id": "vis-project"}, server.key)[0] == 201
    expected = server.request("GET", "/api/v1/projects/vis-project/visibility-preview?visibility=team", token=server.key)[1]
    assert expected["generations"] == 3 and expected["changed_generations"] == 3

    page.click("#nav-projects")
    page.fill("#project-team", "studio")
    page.click("#project-filter-form button[type=submit]")
    page.click('#project-results [data-project-id="vis-project"]')
    expect(page.locator("#project-generations tbody tr")).to_have_count(3)
    page.select_option("#project-visibility", "team")
    page.click("#visibility-form button[type=submit]")
    text = confirm(page, "3 of its 3 generations change audience", screenshot="confirm-visibility.png")
    assert "members of its team" in text
    expect(page.locator('#project-summary [data-visibility="team"]')).to_be_visible()
    saved_revision(page, "projects-status")
    assert server.request("GET", "/api/v1/projects/vis-project", token=server.key)[1]["visibility"] == "team"

    # Cancelling changes nothing.
    page.select_option("#project-visibility", "public")
    page.click("#visibility-form button[type=submit]")
    expect(page.locator("#confirm-dialog")).to_contain_text("3 of its 3 generations")
    page.click("#confirm-cancel")
    assert server.request("GET", "/api/v1/projects/vis-project", token=server.key)[1]["visibility"] == "team"
    page.screenshot(path=str(ARTIFACTS / "projects.png"), full_page=True)

    # A generation opens in the explorer: its check and who can access it.
    page.click('#project-generations [data-open-generation="vis-3"]')
    expect(page.locator("#explorer")).to_be_visible()
    expect(page.locator("#check-resource")).to_have_value("vis-3")
    expect(page.locator("#subjects-list li").first).to_be_visible()
    expect(page.locator("#decision [data-decision]")).to_be_visible()
    assert page.evaluate(CONTRAST_JS) == [], "text below WCAG AA contrast"
    page.close()
    watch.assert_clean()


def tab_to(page, selector, limit=400):
    """Presses Tab until the element is focused (as a keyboard user would), failing after `limit` presses."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_keyboard_only(server, browser):
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 1280, "height": 900})
    sign_in_with_password(page)  # by keyboard: focus starts in the email field, Enter submits
    tab_to(page, "#nav-users")
    page.keyboard.press("Enter")
    expect(page.locator("#users")).to_be_visible()
    tab_to(page, "#user-q")
    page.keyboard.type("bob")
    page.keyboard.press("Enter")
    # The search's own answer, not the full list the view opened with (its rows are replaced when the search lands).
    expect(page.locator("#user-results [data-summary]")).to_have_text("Page 1: 1 shown")
    tab_to(page, '#user-results [data-user-id="bob"]')
    page.keyboard.press("Enter")
    expect(page.locator("#user-detail")).to_have_attribute("data-user-id", "bob")
    expect(page.locator("#user-detail-title")).to_be_focused()

    # Escape on the confirmation changes nothing.
    tab_to(page, "#user-toggle-status")
    page.keyboard.press("Enter")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    expect(page.locator("#user-toggle-status")).to_be_focused()
    assert server.request("GET", "/api/v1/users/bob", token=server.key)[1]["status"] == "active"

    # Tab to the confirm button and Enter: disabled, with its revision; then enabled again the same way.
    for expected in ("disabled", "active"):
        page.keyboard.press("Enter")
        expect(page.locator("#confirm-cancel")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator("#confirm-ok")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(f'#user-summary [data-user-status="{expected}"]')).to_be_visible()
        saved_revision(page, "users-status")
        expect(page.locator("#user-toggle-status")).to_be_focused()
        assert server.request("GET", "/api/v1/users/bob", token=server.key)[1]["status"] == expected

    # The profile form by keyboard.
    tab_to(page, "#edit-user-name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Bob by keyboard")
    page.keyboard.press("Enter")
    expect(page.locator("#users-status")).to_contain_text("Saved the profile of bob")
    assert server.request("GET", "/api/v1/users/bob", token=server.key)[1]["display_name"] == "Bob by keyboard"
    page.screenshot(path=str(ARTIFACTS / "keyboard-users.png"), full_page=True)

    # Teams, Projects and Keys reached by keyboard, each screenshotted, with AA contrast.
    for view in ("teams", "projects", "keys"):
        tab_to(page, f"#nav-{view}")
        page.keyboard.press("Enter")
        expect(page.locator(f"#{view}")).to_be_visible()
        assert page.evaluate(CONTRAST_JS) == [], f"{view}: text below WCAG AA contrast"
    page.close()
    watch.assert_clean()


def test_a_slow_earlier_list_never_replaces_a_newer_one(server, browser):
    """The full list the Users view opens with is held back until a search has been answered; when it finally
    arrives it is dropped, so the page keeps showing what was asked last."""
    page, watch = console_page(browser, server)
    held = []
    full_list = re.compile(r"/api/v1/users\?limit=\d+$")
    page.route(full_list, lambda route: held.append(route))
    page.click("#nav-users")
    page.wait_for_function("() => document.querySelector('#user-results').getAttribute('aria-busy') === 'true'")
    assert len(held) == 1
    page.unroute(full_list)

    page.fill("#user-q", "bob")
    page.press("#user-q", "Enter")
    results = page.locator("#user-results")
    expect(results).to_have_attribute("data-settled", "1")
    expect(results.locator("[data-summary]")).to_have_text("Page 1: 1 shown")

    with page.expect_response(full_list):
        held[0].continue_()
    expect(results).to_have_attribute("data-settled", "2")
    expect(results.locator("[data-summary]")).to_have_text("Page 1: 1 shown")
    expect(results.locator("[data-user-id]")).to_have_count(1)
    expect(results).not_to_have_attribute("aria-busy", "true")
    page.close()
    watch.assert_clean()


def test_dark_scheme_and_phone_width(server, browser):
    """The console's colours hold AA in the dark scheme too, and its tables scroll inside their panels on a phone."""
    page, watch = new_page(browser, server, base_url=server.base, viewport={"width": 390, "height": 844}, color_scheme="dark",
                           is_mobile=True, has_touch=True)
    sign_in_with_password(page)
    for view in ("users", "teams", "projects", "keys"):
        page.goto(f"/dashboard#{view}")
        expect(page.locator(f"#{view}")).to_be_visible()
        page.wait_for_function("() => !document.querySelector('[aria-busy]')")
        assert page.evaluate(CONTRAST_JS) == [], f"{view}: text below WCAG AA contrast in the dark scheme"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{view} scrolls sideways by {overflow}px at phone width"
    page.goto("/dashboard#teams")
    page.click('#team-results [data-team-id="studio"]')
    expect(page.locator("#team-members tbody tr").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "teams-phone-dark.png"), full_page=True)
    page.close()
    watch.assert_clean()
