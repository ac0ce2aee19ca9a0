"""The admin page's report (date range, tables, charts, CSV), the simulation's changed tickets, comparing
with and restoring the shipped rules, and the page at 400 px wide: through Flask's test client and in a
real headless Chromium, on suggestions the worker made and outcomes agents recorded over the API."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import pytest

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.rule_store import SHIPPED_COMMENT, RuleStore
from clvdesk.rules import RuleSet, load_rules
from clvdesk.standins.zendesk import ticket_created_event
from plugin.admin_report import report_csv, report_view
from tests.conftest import ADMIN_TOKEN, API_TOKEN
from tests.test_admin_page import ANGRY, SHIPPED, form_of, set_fields, sign_in

AGENT = {"Authorization": f"Bearer {API_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def outcomes(redis, standin, client, deliver, work):
    """Three handled tickets: Ana's $100 (a champion) applied, Dan's $80 (a champion) declined, Cleo's
    (a potential loyalist) changed to $5."""
    CustomerStore(redis).replace_all([
        CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300),
        CustomerValue(email="dan@example.com", residual_clv=400, historical_spend=900),
        CustomerValue(email="cleo@example.com", residual_clv=100, historical_spend=100),
    ])
    for ticket_id, user, email in ((101, 901, "ana"), (102, 902, "dan"), (103, 903, "cleo")):
        standin.add_user(user, f"{email}@example.com")
        standin.add_ticket(ticket_id, requester_id=user)
        assert deliver(ticket_created_event(ticket_id=ticket_id, requester_id=user, subject="Broken", description=ANGRY,
                                            event_id=f"evt-{ticket_id}")).status_code == 202
    work()
    bodies = {
        101: {"outcome": "applied", "agent_id": 7},
        102: {"outcome": "declined", "agent_id": 7, "reason": "customer asked for nothing"},
        103: {"outcome": "changed", "agent_id": 8, "amount": 5, "currency": "USD"},
    }
    for ticket_id, body in bodies.items():
        assert client.post(f"/api/v1/zendesk/tickets/{ticket_id}/outcome", json=body, headers=AGENT).status_code == 200
    return client.get("/api/v1/admin/report", headers=ADMIN).json


def champions_at(share: float) -> RuleSet:
    rules = load_rules().model_dump(mode="json", exclude={"version"})
    rules["tiers"][0]["budget_share"] = share
    return RuleSet.model_validate(rules)


def text_of(cell: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def figures(html: str, section: str) -> tuple[list[list[str]], dict[str, dict[str, str]]]:
    """The headings of each table in the report's `section` (totals, by_tier, …), and every row's
    figures by heading, its tables' cells together."""
    found = re.search(rf'<section[^>]*id="{section}">(.*?)</section>', html, re.S)
    assert found, f"no section {section}"
    headings, rows = [], {}
    for head, body in re.findall(r"<thead>(.*?)</thead>\s*<tbody>(.*?)</tbody>", found[1], re.S):
        columns = [text_of(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
        headings.append(columns)
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            cells = [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            rows.setdefault(cells[0], {}).update(zip(columns[1:], cells[1:]))
    return headings, rows


def test_the_report_page_shows_the_reports_figures_by_tier_and_instrument(client, outcomes):
    sign_in(client)
    answer = client.get("/admin/report")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f'value="{TODAY - timedelta(days=29)}"' in html and f'value="{TODAY}"' in html  # the default range, shown
    headings, rows = figures(html, "by_tier")
    assert headings[0][:7] == ["Tier", "Suggestions", "With an outcome", "Applied", "Changed", "Declined", "Accept rate"]
    assert headings[1][:4] == ["Tier", "Suggested", "Suggested, with an outcome", "Given"]  # amounts in a table of their own
    assert set(rows) == {"Champions", "Potential loyalists"}
    champions = rows["Champions"]
    assert (champions["Suggestions"], champions["Applied"], champions["Declined"], champions["Accept rate"]) == ("2", "1", "1", "50%")
    assert (champions["Suggested"], champions["Given"]) == ("$180.00", "$100.00")
    assert rows["Potential loyalists"]["Accept rate"] == "100%" and rows["Potential loyalists"]["Given"] == "$5.00"
    total = figures(html, "totals")[1]["All suggestions"]
    api = outcomes["totals"][0]
    assert total["Suggestions"] == str(api["suggestions"]) == "3" and total["Given"] == f"${api['given_amount']:.2f}" == "$105.00"
    assert total["Accept rate"] == "67%"
    instruments = figures(html, "by_instrument")[1]
    assert len(instruments) == len(outcomes["by_instrument"]) and "Partial refund" in instruments
    assert "Champions: suggested $180.00, given $100.00." in html  # the amounts chart's description
    assert "Champions: applied 1, changed 0, declined 1." in html  # what agents did
    assert 'href="/admin/report.csv?from=' in html


@pytest.mark.parametrize(("query", "field", "message"), [
    ("from=2026-13-01", "from", "from must be a date as YYYY-MM-DD, got '2026-13-01'"),
    ("to=yesterday", "to", "to must be a date as YYYY-MM-DD, got 'yesterday'"),
    ("from=2026-03-02&to=2026-03-01", "from", "from (2026-03-02) is after to (2026-03-01)"),
    ("from=2024-01-01&to=2026-01-01", "from", "a report covers at most 366 days; 2024-01-01 to 2026-01-01 is longer"),
    ("from=1999-12-31&to=2000-01-01", "from", "from must be a date from 2000-01-01 to 9998-12-31, got 1999-12-31"),
])
def test_a_bad_date_range_is_a_clear_error_on_the_page_and_for_the_csv(client, query, field, message):
    sign_in(client)
    page = client.get(f"/admin/report?{query}")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 400
    assert f"The report cannot cover these dates: {message}." in html
    wrong = re.search(rf'<input id="range-{field}"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in wrong and 'aria-describedby="range-error"' in wrong
    assert 'id="by_tier"' not in html and "Download CSV" not in html
    download = client.get(f"/admin/report.csv?{query}")
    assert download.status_code == 400 and download.json == {"error": "invalid_range", "message": message}


def test_empty_range_fields_mean_the_default_and_an_empty_range_says_so(client):
    sign_in(client)
    answer = client.get("/admin/report?from=&to=2026-02-10")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'value="2026-01-12"' in html
    assert "No suggestions from 2026-01-12 to 2026-02-10." in html


def test_the_csv_download_has_the_pages_figures(client, outcomes):
    sign_in(client)
    start = TODAY - timedelta(days=6)
    answer = client.get(f"/admin/report.csv?from={start}&to={TODAY}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="clvdesk-report-{start}-{TODAY}.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert {(row["section"], row["group"]) for row in rows} == {
        ("totals", "all"), *(("tier", row["tier"]) for row in outcomes["by_tier"]),
        *(("instrument", row["instrument"]) for row in outcomes["by_instrument"]),
        *(("month", row["month"]) for row in outcomes["by_month"])}
    assert all(row["from"] == str(start) and row["to"] == str(TODAY) for row in rows)
    champions = next(row for row in rows if row["group"] == "champions")
    assert champions["suggestions"] == "2" and champions["declined"] == "1" and champions["accept_rate"] == "0.500000"
    assert champions["suggested_amount"] == "180.00" and champions["given_amount"] == "100.00" and champions["currency"] == "USD"
    for api in outcomes["by_tier"]:  # the same figures as the JSON API's report
        row = next(row for row in rows if row["section"] == "tier" and row["group"] == api["tier"])
        assert int(row["suggestions"]) == api["suggestions"] and float(row["given_amount"]) == api["given_amount"]
    before = client.get(f"/admin/report.csv?from={TODAY - timedelta(days=400)}&to={TODAY - timedelta(days=40)}")
    assert before.get_data(as_text=True).splitlines() == ["from,to,section,group,currency"]


def test_the_report_needs_a_signed_in_admin(client):
    assert client.get("/admin/report").status_code == 302
    assert client.get("/admin/report.csv").headers["Location"] == "/admin/login"


def test_a_version_compares_with_the_shipped_rules_and_the_shipped_rules_are_restored(client, redis):
    token = sign_in(client)
    store = RuleStore(redis)
    store.publish(champions_at(0.3), author="Mia", comment="Champions get 30%")

    against = client.get("/admin/history/1?against=shipped").get_data(as_text=True)
    assert "v1 against the rules shipped with clvdesk" in against
    assert re.search(r'class="before" data-label="Shipped">20%</td><td class="after" data-label="In v1">30%</td>', against)
    assert "Restore the shipped rules" in against

    refused = client.post("/admin/restore-shipped", data={"author": "Mia"})
    assert refused.status_code == 400 and store.current_number() == 1  # no CSRF token, nothing published

    restored = client.post("/admin/restore-shipped", data={"csrf_token": token, "author": "Mia", "comment": ""})
    assert restored.status_code == 303
    version = store.version(2)
    assert store.current_number() == 2 and store.current() == load_rules().model_copy(update={"version": "v2"})
    assert (version.author, version.comment, version.shipped) == ("Mia", SHIPPED_COMMENT, True)
    assert datetime.now(timezone.utc) - version.published_at < timedelta(minutes=1)
    history = client.get("/admin/history").get_data(as_text=True)
    assert "Restored the shipped rules: version v2 has the rules shipped with clvdesk." in history
    assert "(the shipped rules)" in history
    same = client.get("/admin/history/2?against=shipped").get_data(as_text=True)
    assert "v2 has the rules shipped with clvdesk: no setting differs." in same and "Restore the shipped rules" not in same
    assert "What changed since v1" in client.get("/admin/history/2").get_data(as_text=True)


def test_the_simulation_lists_the_tickets_that_would_change_and_why(outcomes, client):
    token = sign_in(client)
    form = form_of(SHIPPED, **{"tiers[0].budget_share": "30"})
    set_fields(form, {"csrf_token": token, "mode": "form", "action": "simulate"})
    html = unescape(client.post("/admin", data=form).get_data(as_text=True))
    rows = re.findall(r"<tr>(.*?)</tr>", re.search(r'id="changed-tickets">.*?<tbody>(.*?)</tbody>', html, re.S)[1], re.S)
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert len(text) == 2  # Ana's and Dan's: Cleo is no champion
    assert text[0].startswith(f"101 {TODAY} ana@example.com Partial refund $100.00 → Partial refund $150.00")
    assert text[0].endswith("Tier 1: Champions › Budget per ticket: 20% → 30%")
    assert text[1].startswith(f"102 {TODAY} dan@example.com")


def sign_in_browser(page, live_app):
    page.goto(f"{live_app}/admin")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Tier rules").wait_for()


def test_in_a_browser_the_report_page_has_its_charts_a_date_range_and_the_csv(outcomes, live_app, page, artifacts_dir):
    sign_in_browser(page, live_app)
    page.get_by_role("link", name="Report").click()
    chart = page.get_by_role("img", name=re.compile("Suggested and given, by tier"))
    chart.wait_for()
    assert "Champions: suggested $180.00, given $100.00" in chart.text_content()
    bars = chart.locator("rect.bar")
    assert bars.count() == 4 and bars.nth(0).bounding_box()["width"] > bars.nth(1).bounding_box()["width"] > 0
    assert page.get_by_role("img", name=re.compile("What agents did, by tier")).is_visible()
    page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)

    page.get_by_label("From").fill(str(TODAY + timedelta(days=1)))
    page.get_by_role("button", name="Show").click()
    assert "is after to" in page.get_by_role("alert").text_content()
    assert page.get_by_label("From").get_attribute("aria-invalid") == "true"

    page.get_by_label("From").fill(str(TODAY))
    page.get_by_role("button", name="Show").click()
    page.get_by_role("img", name=re.compile("Suggested and given, by tier")).wait_for()
    with page.expect_download() as started:
        page.get_by_role("link", name="Download CSV").click()
    download = started.value
    assert download.suggested_filename == f"clvdesk-report-{TODAY}-{TODAY}.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("from,to,section,group,currency,suggestions") and len(lines) == 1 + 1 + 2 + len(outcomes["by_instrument"]) + len(outcomes["by_month"])


def test_in_a_browser_the_simulation_lists_the_changed_tickets(outcomes, live_app, page, artifacts_dir):
    sign_in_browser(page, live_app)
    page.locator("#tier-1").get_by_label("Budget per ticket").fill("30")
    page.locator("#panel-form").get_by_role("button", name="Simulate").click()
    table = page.get_by_role("table", name="Tickets that would change")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    assert "Partial refund $100.00 → Partial refund $150.00" in rows.nth(0).text_content()
    page.locator("#simulation").screenshot(path=str(artifacts_dir / "simulation-changed.png"))


def test_in_a_browser_the_admin_page_fits_400_px(outcomes, live_app, browser, artifacts_dir, redis):
    RuleStore(redis).publish(champions_at(0.3), author="Mia", comment="Champions get 30% of their residual value, for a quarter")
    context = browser.new_context(viewport={"width": 400, "height": 860}, locale="en-US")
    page = context.new_page()
    try:
        sign_in_browser(page, live_app)
        width = "document.scrollingElement.scrollWidth"
        assert page.evaluate(width) <= 400
        page.locator("#tier-1").get_by_label("Budget per ticket").fill("25")
        page.locator("#panel-form").get_by_role("button", name="Simulate").click()
        page.get_by_role("table", name="Tickets that would change").wait_for()
        assert page.evaluate(width) <= 400
        publish = page.locator("#panel-form").get_by_role("button", name="Publish")
        assert publish.bounding_box()["x"] + publish.bounding_box()["width"] <= 400  # the form's buttons are on screen
        page.evaluate("document.getElementById('simulation').scrollIntoView()")
        page.screenshot(path=str(artifacts_dir / "admin-narrow.png"))
        for path, shot in (("/admin/history", "history-narrow.png"), ("/admin/history/1?against=shipped", "version-narrow.png"),
                           ("/admin/report", None), ("/admin/report?from=x", None)):
            page.goto(f"{live_app}{path}")
            assert page.evaluate(width) <= 400, path
            if shot:
                page.screenshot(path=str(artifacts_dir / shot), full_page=True)
        page.goto(f"{live_app}/admin/report")
        for table in page.locator("#by_tier .table-scroll").all():
            assert table.bounding_box()["width"] <= 400  # wide figures scroll inside their box, not the page
        chart = page.get_by_role("img", name=re.compile("Suggested and given, by tier"))
        assert chart.get_attribute("id") == "chart-tier-amounts-compact"  # names above the bars, text near its size
        assert chart.bounding_box()["x"] + chart.bounding_box()["width"] <= 400
        page.screenshot(path=str(artifacts_dir / "report-narrow.png"), full_page=True)
    finally:
        context.close()


def test_groupings_and_figures_the_report_adds_are_shown_by_name():
    """The page lays out whatever the report gives: a month grouping and figures it does not know yet."""
    report = {"from": "2026-11-01", "to": "2026-12-31", "totals": [{"currency": "EUR", "suggestions": 4, "outcomes": 0}],
              "by_month": [{"month": "2026-11", "currency": "EUR", "suggestions": 4, "outcomes": 0, "cost": 3.5,
                            "spend_share_of_residual_clv": 0.021, "refund_speed": 2}]}
    view = report_view(report, {})
    month = next(section for section in view["sections"] if section["key"] == "by_month")
    assert month["heading"] == "By month" and month["rows"][0]["label"] == "Nov 2026"
    cells = {column["heading"]: cell["text"] for column, cell in zip(month["columns"], month["rows"][0]["cells"])}
    assert cells == {"Suggestions": "4", "With an outcome": "0", "Accept rate": "—", "Cost to the company": "€3.50",
                     "Spend against residual CLV": "2.1%", "Refund speed": "2"}
    assert [chart["title"] for chart in month["charts"]] == ["Suggested and given, by month"]
    assert report_csv(view).splitlines()[2] == "2026-11-01,2026-12-31,month,2026-11,EUR,4,0,,3.50,0.021000,2"
