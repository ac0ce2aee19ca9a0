"""`clvdesk analyze` as a user runs it, and the analysis as the agent reads it in the note."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

from clvdesk.analysis import analyse
from clvdesk.customers import CustomerValue
from clvdesk.note import render_note
from clvdesk.rules import decide, load_rules
from clvdesk.suggestions import CustomerView, Suggestion

CLVDESK = [sys.executable, "-m", "clvdesk"]


def run(*args):
    return subprocess.run([*CLVDESK, "analyze", *args], capture_output=True, text=True, timeout=60)


def test_analyze_prints_the_json_result():
    result = run("The parcel never arrived and this is the third time I write. I want my money back!")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["label"] in ("negative", "very_negative")
    assert data["category"] == {"name": "missing_item", "label": "Missing or lost item", "evidence": ["never arrived"]}
    assert [signal["name"] for signal in data["signals"]] == ["repeat_contact"]
    assert data["language"] == "en" and data["supported"] is True


def test_analyze_csv_writes_one_line_per_row_keeping_the_other_columns(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(
        "id,body,truth\n"
        "7,\"Thanks, all sorted!\",0\n"
        "8,\"Pakken er i stykker, jeg vil have pengene tilbage\",1\n"
        "9,\"Meine Bestellung ist nicht angekommen\",1\n",
        encoding="utf-8",
    )
    result = run("--csv", str(path), "--text-column", "body")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["id"], row["truth"]) for row in rows] == [("7", "0"), ("8", "1"), ("9", "1")]
    assert rows[0]["analysis"]["label"] == "positive"
    assert rows[1]["analysis"]["category"]["name"] == "damaged_item"
    assert rows[1]["analysis"]["language"] == "da"
    assert (rows[2]["analysis"]["language"], rows[2]["analysis"]["supported"]) == ("de", False)


def test_analyze_mistakes_are_one_line_and_exit_2(tmp_path):
    path, missing = tmp_path / "tickets.csv", tmp_path / "none.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    cases = [
        ((), "clvdesk: give either TEXT or --csv FILE --text-column COLUMN"),
        (("--csv", str(path)), "clvdesk: --csv needs --text-column"),
        (("--csv", str(path), "--text-column", "text"), f"clvdesk: {path}: no column 'text' (columns: id, body)"),
        (("--csv", str(missing), "--text-column", "body"), f"clvdesk: {missing}: No such file or directory"),
    ]
    for args, message in cases:
        result = run(*args)
        assert (result.returncode, result.stderr.strip(), result.stdout) == (2, message, "")


def note_for(text, fmt="text", email="ana@example.com"):
    rules = load_rules()
    customer = CustomerValue(email=email, residual_clv=500, historical_spend=2300)
    sentiment = analyse(text)
    decision = decide(rules, customer, sentiment)
    view = CustomerView(
        email=customer.email, customer_id=None, known=True, residual_clv=500, historical_spend=2300,
        tier=decision.tier, tier_label=decision.tier_label, currency=rules.currency,
    )
    return render_note(
        Suggestion(
            ticket_id="1", helpdesk="zendesk", account="acme.zendesk.com", event_id="evt-1", created_at=datetime.now(timezone.utc),
            rules_version=rules.version, customer=view, sentiment=sentiment, offer=decision.offer,
            reasons=decision.reasons,
        ),
        fmt,
    )


def test_markdown_and_html_notes_say_the_same_and_cannot_be_marked_up_by_the_customer():
    text = "My *order* arrived damaged <b>again</b> & [click](http://x) by tomorrow!"
    email = "<img src=x>_ana_@example.com"
    plain = note_for(text, email=email)
    markdown = note_for(text, "markdown", email=email)
    page = note_for(text, "html", email=email)
    for note in (plain, markdown, page.removesuffix("</p>")):
        assert note.endswith("clvdesk-ref:evt-1")  # what has_note looks for, never escaped
    assert "\\<img src=x\\>\\_ana\\_@example.com" in markdown and "<img" not in page
    assert "&lt;img src=x&gt;_ana_@example.com" in page
    assert page.startswith("<p>clvdesk suggestion: ") and "<ul><li>" in page and "\n" not in page
    assert "\n\n- " in markdown  # the reasons are a Markdown list
    assert [line for line in plain.splitlines() if line.startswith("Why:")] == ["Why:"]


def test_the_note_shows_signals_and_what_went_wrong_with_their_words():
    note = note_for("My order arrived damaged. I'll dispute the charge with my bank if this is not sorted by tomorrow!")
    lines = note.splitlines()
    assert lines[3].startswith("Sentiment: very negative (")
    assert lines[4] == (
        'Signals: urgency ("by tomorrow") · legal or chargeback threat ("dispute the charge")'
    )
    assert lines[5] == 'What went wrong: damaged item ("damaged")'


def test_the_note_says_when_it_cannot_read_the_language():
    note = note_for("Mi pedido todavía no ha llegado y estoy muy enfadado.")
    assert "Sentiment: not read (the text is in Spanish, which clvdesk does not read)" in note
    assert "Text in Spanish, which clvdesk does not read: treated as neutral: offer 25% of the budget" in note
    assert "Signals" not in note and "What went wrong" not in note
