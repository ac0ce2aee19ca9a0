"""The admin page: sign-in, CSRF, the structured form with its validation messages beside the fields,
simulate, publish, history and rollback, through Flask's test client and in a real headless Chromium
where a published edit changes the next suggestion."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
import requests
from itsdangerous import URLSafeTimedSerializer
from pydantic import SecretStr
from werkzeug.datastructures import MultiDict

from clvdesk.connection import connect
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.defaults import ADMIN_SIGN_IN_FAILURES, ADMIN_SIGN_IN_WINDOW_SECONDS, MIN_TOKEN_CHARS
from clvdesk.standins.zendesk import ticket_created_event
from clvdesk.rule_store import RuleStore
from clvdesk.rules import RuleSet, load_rules
from plugin import create_app
from plugin.admin_form import flatten, unflatten
from plugin.admin_session import COOKIE
from tests.conftest import ADMIN_TOKEN, API_TOKEN

ANGRY = "My blender arrived broken. This is ridiculous!! Refund me or I will cancel my account."
SHIPPED = load_rules().model_dump(mode="json", exclude={"version"})


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def sign_in(client) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    answer = client.post("/admin/login", data={"csrf_token": token, "token": ADMIN_TOKEN})
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin"
    return csrf_of(client.get("/admin").get_data(as_text=True))


def form_of(rules: dict, **changes: str) -> MultiDict:
    """The editor's form as a browser sends it: every setting's input, with `changes` typed in."""
    values = flatten(rules)
    values.update(changes)
    return MultiDict([(path, item) for path, value in values.items() for item in (value if isinstance(value, list) else [value])])


def set_fields(form: MultiDict, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        form[name] = value  # replaces, where MultiDict.update would add a second value


def element(html: str, element_id: str) -> str:
    """The opening tag (or list) with this id."""
    found = re.search(rf'<[^>]*\bid="{re.escape(element_id)}"[^>]*>(?:(?!</ul>).)*', html, re.S)
    assert found, f"no element #{element_id}"
    return unescape(found[0])


def test_the_page_asks_to_sign_in_and_refuses_a_wrong_token(client):
    assert client.get("/admin").headers["Location"] == "/admin/login"
    assert client.get("/admin/history").headers["Location"] == "/admin/login"
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    wrong = client.post("/admin/login", data={"csrf_token": token, "token": API_TOKEN})
    assert wrong.status_code == 401 and "That is not the admin token" in wrong.get_data(as_text=True)
    assert client.get("/admin").status_code == 302  # still signed out

    right = client.post("/admin/login", data={"csrf_token": token, "token": ADMIN_TOKEN})
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http here; over https the cookie is Secure
    page = client.get("/admin")
    assert page.status_code == 200 and "Tier rules" in page.get_data(as_text=True)
    assert "Can&#39;t lose them" in page.get_data(as_text=True) or "Can't lose them" in page.get_data(as_text=True)
    assert "Cant lose them" not in page.get_data(as_text=True)
    policy = page.headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in policy
    assert "<script>" not in page.get_data(as_text=True) and "style=" not in page.get_data(as_text=True)

    client.post("/admin/logout", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert client.get("/admin").headers["Location"] == "/admin/login"


def test_guessing_the_token_is_stopped_per_address(app):
    def attempt(guess: str, address: str = "203.0.113.7"):
        browser = app.test_client()  # a fresh session each time, as a guesser's script would have
        token = csrf_of(browser.get("/admin/login").get_data(as_text=True))
        return browser.post("/admin/login", data={"csrf_token": token, "token": guess}, environ_base={"REMOTE_ADDR": address})

    for guess in range(ADMIN_SIGN_IN_FAILURES - 1):
        assert attempt(f"guess-{guess}").status_code == 401
    assert attempt(ADMIN_TOKEN).status_code == 302  # the right token before the limit clears the count
    for guess in range(ADMIN_SIGN_IN_FAILURES):
        assert attempt(f"guess-{guess}").status_code == 401
    locked = attempt(ADMIN_TOKEN)  # even the right token waits: a guesser cannot tell it from a wrong one
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= ADMIN_SIGN_IN_WINDOW_SECONDS
    assert "Too many wrong tokens from this address. Try again in 15 minutes." in locked.get_data(as_text=True)
    assert attempt(ADMIN_TOKEN, address="198.51.100.2").status_code == 302  # other addresses are not locked out


def test_concurrent_wrong_guesses_get_no_more_answers_than_the_limit(live_app):
    """Each try is taken before the token is compared, in one script: no check-then-count race."""
    guesses = 100
    start = requests.get(f"{live_app}/admin/login", timeout=5)
    csrf, cookies = csrf_of(start.text), start.cookies
    together = threading.Barrier(guesses)

    def guess(number: int) -> int:
        together.wait()
        data = {"csrf_token": csrf, "token": f"wrong-guess-{number:04d}-{'x' * 24}"}
        return requests.post(f"{live_app}/admin/login", data=data, cookies=cookies, timeout=60).status_code

    with ThreadPoolExecutor(guesses) as pool:
        statuses = list(pool.map(guess, range(guesses)))
    assert statuses.count(401) == ADMIN_SIGN_IN_FAILURES
    assert statuses.count(429) == guesses - ADMIN_SIGN_IN_FAILURES


def admin_cookie(client) -> str:
    return client.get_cookie(COOKIE, path="/admin").value


def with_cookie(app, cookie: str):
    """Another browser presenting `cookie`, as whoever copied it would."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie, path="/admin")
    return other


def test_signing_out_ends_the_session_for_good(app):
    browser = app.test_client()
    csrf = sign_in(browser)
    copied = admin_cookie(browser)
    assert with_cookie(app, copied).get("/admin").status_code == 200  # the cookie alone is the sign-in ...
    browser.post("/admin/logout", data={"csrf_token": csrf})
    assert with_cookie(app, copied).get("/admin").headers["Location"] == "/admin/login"  # ... until signing out


def test_a_tampered_or_forged_cookie_is_refused(app):
    browser = app.test_client()
    sign_in(browser)
    cookie = admin_cookie(browser)
    assert with_cookie(app, cookie).get("/admin").status_code == 200
    signed, signature = cookie.rsplit(".", 1)
    tampered = f"{signed}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"  # the first character: all its bits count
    assert with_cookie(app, tampered).get("/admin").headers["Location"] == "/admin/login"
    cookies = app.session_interface
    session = cookies.get_signing_serializer(app).loads(cookie)
    forged = URLSafeTimedSerializer("not-the-secret-key-" + "x" * 20, salt=cookies.salt, signer_kwargs={
        "key_derivation": cookies.key_derivation, "digest_method": cookies.digest_method}).dumps(session)
    assert with_cookie(app, forged).get("/admin").headers["Location"] == "/admin/login"


def test_the_cookie_key_does_not_depend_on_the_admin_token(settings, redis):
    """A cookie gives nothing to test token guesses against: its signature verifies under any admin token."""
    first, second = (create_app(settings.model_copy(update={"admin_token": SecretStr(token)}), redis=redis)
                     for token in (ADMIN_TOKEN, "another-admin-token-" + "y" * 20))
    key = first.session_interface.store.secret_key()
    assert second.session_interface.store.secret_key() == key  # made once, kept in Redis, shared by every process
    assert len(key) >= MIN_TOKEN_CHARS and ADMIN_TOKEN not in key
    browser = first.test_client()
    sign_in(browser)
    assert second.session_interface.get_signing_serializer(second).loads(admin_cookie(browser))["sid"]

    configured = create_app(settings.model_copy(update={"secret_key": SecretStr("k" * MIN_TOKEN_CHARS)}), redis=redis)
    assert configured.session_interface.store.secret_key() == "k" * MIN_TOKEN_CHARS  # CLVDESK_SECRET_KEY wins


def test_changing_the_admin_token_ends_every_session(settings, redis):
    before = create_app(settings, redis=redis)
    browser = before.test_client()
    sign_in(browser)
    cookie = admin_cookie(browser)
    after = create_app(settings.model_copy(update={"admin_token": SecretStr("the-new-admin-token-" + "z" * 20)}), redis=redis)
    assert after.session_interface.get_signing_serializer(after).loads(cookie)  # the cookie itself is still good ...
    assert with_cookie(after, cookie).get("/admin").headers["Location"] == "/admin/login"  # ... its session is not
    assert with_cookie(before, cookie).get("/admin").status_code == 200


def test_the_cookie_is_secure_over_https(client):
    page = client.get("/admin/login", base_url="https://clvdesk.example.com")
    assert "Secure" in page.headers["Set-Cookie"]


def test_the_page_is_disabled_without_an_admin_token(settings, redis):
    client = create_app(settings.model_copy(update={"admin_token": None}), redis=redis).test_client()
    for path in ("/admin", "/admin/login"):
        answer = client.get(path)
        assert answer.status_code == 503 and "Set CLVDESK_ADMIN_TOKEN" in answer.get_data(as_text=True)


def test_a_post_without_the_right_csrf_token_is_refused(client, redis):
    token = sign_in(client)
    for sent in ({}, {"csrf_token": "forged"}, {"csrf_token": token[:-1]}):
        answer = client.post("/admin", data={**form_of(SHIPPED).to_dict(), "action": "publish", **sent})
        assert answer.status_code == 400
        assert "security token" in answer.get_data(as_text=True)
    assert client.post("/admin/rollback", data={"version": "1"}).status_code == 400
    assert client.post("/admin/login", data={"token": ADMIN_TOKEN}).status_code == 400
    assert RuleStore(redis).current_number() is None  # nothing was published


def test_a_form_round_trips_to_the_same_rules():
    data = json.loads(json.dumps(SHIPPED))
    data["adjustments"] = [{"name": "leaving", "labels": ["very_negative"], "signals": ["churn_intent"], "budget_multiplier": 1.5}]
    data["tiers"][1]["budget_share"] = 0.173
    data["tiers"][0]["when"] = {"min_p_alive": 0.07, "segments": ["champions", "new"], "value_tiers": ["top"]}
    data = RuleSet.model_validate(data).model_dump(mode="json", exclude={"version"})
    assert RuleSet.model_validate(unflatten(form_of(data))).model_dump(mode="json", exclude={"version"}) == data


def test_validation_messages_sit_beside_their_fields_and_keep_the_input(client, redis):
    token = sign_in(client)
    form = form_of(SHIPPED, **{
        "tiers[0].max_amount": "-5",
        "tiers[1].budget_share": "150",
        "tiers[2].rolling_budget.days": "",
        "currency": "dollars",
        "sentiment_multipliers.neutral": "lots",
    })
    set_fields(form, {"csrf_token": token, "mode": "form", "action": "publish"})
    answer = client.post("/admin", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "The draft has 5 problems; nothing was saved" in html
    assert "Tier 2: Can&#39;t lose them › Budget per ticket</a>: must be 100% or less" in html  # the summary names the field
    expected = {
        "tiers-0-max-amount": ("-5", "must be 0 or more"),
        "tiers-1-budget-share": ("150", "must be 100% or less"),
        "tiers-2-rolling-budget-days": ("", "is required"),
        "currency": ("dollars", "must be a three-letter currency code in capitals, such as USD"),
        "sentiment-multipliers-neutral": ("lots", "must be a number"),
    }
    for name, (typed, message) in expected.items():
        tag = element(html, f"f-{name}")
        assert 'aria-invalid="true"' in tag and f'value="{typed}"' in tag
        assert f"f-{name}-error" in tag  # aria-describedby ties the message to the input
        assert message[0].upper() + message[1:] in element(html, f"f-{name}-error")
    assert RuleStore(redis).current_number() is None


def test_the_json_view_reports_bad_json_and_checks_good_json(client):
    token = sign_in(client)
    broken = client.post("/admin", data={"csrf_token": token, "mode": "json", "action": "check", "rules_json": '{"tiers": ['})
    assert broken.status_code == 400
    assert "is not valid JSON" in broken.get_data(as_text=True) and "line 1" in broken.get_data(as_text=True)
    text = '{"currency": "USD"}'
    invalid = client.post("/admin", data={"csrf_token": token, "mode": "json", "action": "check", "rules_json": text})
    assert invalid.status_code == 422 and "tiers</code>: is required" in invalid.get_data(as_text=True)
    assert "{&#34;currency&#34;: &#34;USD&#34;}" in invalid.get_data(as_text=True)  # the admin's text, kept
    good = client.post("/admin", data={"csrf_token": token, "mode": "json", "action": "check", "rules_json": json.dumps(SHIPPED)})
    assert good.status_code == 200 and "The draft is valid" in good.get_data(as_text=True)


@pytest.fixture
def shop(redis, standin):
    CustomerStore(redis).replace_all([
        CustomerValue(email="ana@example.com", customer_id="C-1", residual_clv=500, historical_spend=2300),
        CustomerValue(email="dan@example.com", customer_id="C-4", residual_clv=400, historical_spend=900),
    ])
    standin.add_user(901, "ana@example.com")
    standin.add_user(904, "dan@example.com")
    standin.add_ticket(101, requester_id=901)
    standin.add_ticket(104, requester_id=904)
    return standin


def suggestion(client, ticket_id: int) -> dict:
    answer = client.get(f"/api/v1/zendesk/tickets/{ticket_id}/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert answer.status_code == 200
    return answer.json


def test_simulate_publish_history_and_rollback(shop, client, deliver, work, redis):
    assert deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY)).status_code == 202
    work()
    token = sign_in(client)
    form = form_of(SHIPPED, **{"tiers[0].budget_share": "30"})
    set_fields(form, {"csrf_token": token, "mode": "form", "action": "simulate"})
    simulated = client.post("/admin", data=form)
    html = simulated.get_data(as_text=True)
    assert simulated.status_code == 200 and "1 past ticket replayed" in html and "1 would get a different suggestion" in html
    assert re.search(r"Offered \(face value\)</th>\s*<td>\$100.00</td><td>\$150.00</td><td>\+\$50.00</td>", html)
    assert "Champions: current $100.00, draft $150.00." in html  # the chart's description
    assert 'value="30"' in element(html, "f-tiers-0-budget-share")  # the draft is kept for publishing
    assert RuleStore(redis).current_number() is None  # simulating publishes nothing

    set_fields(form, {"action": "publish", "author": "Mia", "comment": "Champions get 30%"})
    published = client.post("/admin", data=form)
    assert published.status_code == 303
    assert "Published version v1" in client.get("/admin").get_data(as_text=True)
    assert RuleStore(redis).current().tiers[0].budget_share == 0.3

    client.post("/admin", data={**form_of(SHIPPED).to_dict(flat=False), "csrf_token": token, "mode": "form", "action": "publish",
                                "author": "Mia", "comment": "back to 20%"})
    history = client.get("/admin/history").get_data(as_text=True)
    assert "v2" in history and "back to 20%" in history and "Champions get 30%" in history and "in force" in history
    version = client.get("/admin/history/2").get_data(as_text=True)
    assert "What changed since v1" in version and "tiers[0].budget_share" in version
    assert "Tier 1: Champions › Budget per ticket" in version
    assert re.search(r'class="before"[^>]*>30%</td><td class="after"[^>]*>20%</td>', version)
    assert "This version is in force" in version and "Roll back to v2" not in version
    assert "Roll back to v1" in client.get("/admin/history/1").get_data(as_text=True)

    rolled = client.post("/admin/rollback", data={"csrf_token": token, "version": "1", "author": "Mia", "comment": "30% after all"})
    assert rolled.status_code == 303
    assert "Rolled back: version v3 has the rules of v1" in client.get("/admin/history").get_data(as_text=True)
    assert RuleStore(redis).current().tiers[0].budget_share == 0.3
    assert client.get("/admin/history/9").status_code == 404


def test_simulation_without_tickets_says_what_to_do(client):
    token = sign_in(client)
    answer = client.post("/admin", data={**form_of(SHIPPED).to_dict(flat=False), "csrf_token": token, "mode": "form", "action": "simulate"})
    assert answer.status_code == 200 and "clvdesk has not handled any ticket yet; upload past tickets as CSV" in answer.get_data(as_text=True)


def test_in_a_browser_an_edit_is_simulated_published_and_changes_the_next_suggestion(
    shop, live_app, page, deliver, work, client, artifacts_dir
):
    assert deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY)).status_code == 202
    work()
    assert suggestion(client, 101)["offer"]["amount"] == 100.0  # 20% of Ana's $500

    page.goto(f"{live_app}/admin")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Tier rules").wait_for()

    champions = page.locator("#tier-1")
    champions.get_by_label("Maximum per ticket").fill("-5")
    page.locator("#panel-form").get_by_role("button", name="Check the draft").click()
    page.get_by_role("heading", name="The draft has 1 problem; nothing was saved").wait_for()
    maximum = champions.get_by_label("Maximum per ticket")
    assert maximum.get_attribute("aria-invalid") == "true" and maximum.input_value() == "-5"
    assert page.locator("#f-tiers-0-max-amount-error").text_content().strip() == "Must be 0 or more"
    champions.locator(".group", has=page.get_by_label("Maximum per ticket")).screenshot(path=str(artifacts_dir / "admin-validation.png"))

    maximum.fill("250")
    champions.get_by_label("Budget per ticket").fill("30")
    page.locator("#panel-form").get_by_role("button", name="Simulate").click()
    chart = page.get_by_role("img", name=re.compile("Offered by tier"))
    chart.wait_for()
    assert "Champions: current $100.00, draft $150.00" in chart.text_content()
    assert page.locator("#tier-1").get_by_label("Budget per ticket").input_value() == "30"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts_dir / "admin-page.png"))
    champions.screenshot(path=str(artifacts_dir / "admin-tier-form.png"))

    page.get_by_role("tab", name="Form").focus()
    page.keyboard.press("ArrowRight")  # the tabs work from the keyboard
    assert page.get_by_role("tab", name="JSON").get_attribute("aria-selected") == "true"
    assert page.get_by_label("The draft as JSON").is_visible()
    assert '"budget_share": 0.3' in page.get_by_label("The draft as JSON").input_value()  # the same draft
    assert not page.locator("#panel-form").is_visible()
    page.get_by_role("tab", name="Form").click()

    form = page.locator("#panel-form")
    form.get_by_label("What changed and why").fill("Champions get 30% of their value")
    form.get_by_role("button", name="Publish").click()
    page.get_by_text("Published version v1").wait_for()

    event = ticket_created_event(ticket_id=104, requester_id=904, subject="Broken", description=ANGRY, event_id="evt-dan")
    assert deliver(event).status_code == 202
    work()
    after = suggestion(client, 104)
    assert after["rules_version"] == "v1"
    assert after["offer"]["amount"] == 120.0  # 30% of Dan's $400, where the shipped rules gave 20%: $80

    page.get_by_role("link", name="History").click()
    assert "Champions get 30% of their value" in page.locator("main").text_content()


def test_redis_down_with_a_cookie_is_503_not_500(settings):
    """The session's key lives in Redis: a cookie that cannot be checked for want of it is the outage's 503."""
    client = create_app(settings, redis=connect("redis://127.0.0.1:1/0")).test_client()
    client.set_cookie(COOKIE, "some.signed.value", path="/admin")
    response = client.get("/admin")
    assert response.status_code == 503 and response.json["error"] == "storage_unavailable"
