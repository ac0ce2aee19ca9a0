"""A Danish account's note, end to end for every helpdesk (real Redis, the webhook through the app and a
worker, the note posted to the helpdesk's stand-in): all of it Danish, money and dates the Danish way,
and the customer's words quoted as they wrote them."""

from __future__ import annotations

import functools
import html
import re

import pandas as pd

from clvdesk import i18n
from clvdesk.clv.fresh import Valuation
from clvdesk.clv.records import customer_records
from clvdesk.clv.simulate import simulated_fit
from clvdesk.customers import CustomerStore
from clvdesk.helpdesk import REGISTRY
from clvdesk.rule_store import RuleStore
from clvdesk.rules import load_rules

DANISH_TICKET = (
    "Min pakke er STADIG IKKE KOMMET, og det er Tredje Gang jeg skriver. Jeg vil gerne opsige mit abonnement, "
    "jeg er dybt utilfreds!"
)
# What an English note says: none of it may be left in a Danish one.
ENGLISH_WORDS = [
    "clvdesk suggestion", "Customer:", "tier ", "residual CLV", "spent so far", "as of", "Sentiment", "Signals",
    "What went wrong", "Budget for this ticket", "rolling budget", "Why:", "Rules ", "Budget is", "of the budget",
    "Capped at", "supervisor must approve", "Costs the company", "first choice", "comes first for", "apologise",
    "Apology only", "needs supervisor approval", "unknown requester", "not in the customer store", "in Danish", "$",
]
ENGLISH_LABELS = [  # every name the note could show in English, where Danish names it otherwise
    text for group in ("signals", "categories", "instruments", "tiers", "segments", "sentiment")
    for name, text in i18n.strings("en")[group].items() if text != i18n.strings("da")[group].get(name)
]
DANISH_MONTHS = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."]


@functools.cache
def fitted_customers() -> tuple[Valuation, pd.DataFrame]:
    """A CLV fit of 400 simulated customers, one of them Ana with 38.20 spent so far."""
    valuation, scores = simulated_fit(400, purchase_model="bgnbd", seed=5, calibration_end="2026-03-01")
    repeat = scores.index[scores["frequency"] > 0][0]
    scores.loc[repeat, ["email", "historical_spend"]] = ["ana@example.com", 38.2]
    return valuation, scores


def test_a_danish_accounts_note_is_danish_throughout(helpdesk_case, redis, monkeypatch):
    valuation, scores = fitted_customers()
    CustomerStore(redis).replace_records(customer_records(scores), valuation=valuation.to_json())
    RuleStore(redis).publish(load_rules().model_copy(update={"currency": "DKK"}),
                             author="test", comment="kroner")
    prefix = REGISTRY[helpdesk_case.name].settings.model_config["env_prefix"]
    monkeypatch.setenv(f"{prefix}NOTE_LANGUAGE", "da")

    helpdesk_case.add_ticket(101)
    assert helpdesk_case.deliver(101, DANISH_TICKET).status_code in (200, 202)
    helpdesk_case.work()
    [posted] = helpdesk_case.notes(101)
    # as an agent reads it: markup gone, and Danish money's no-break space (Help Scout's reads as a space) a space
    note = html.unescape(re.sub(r"<[^>]+>", "\n", posted)).replace("\u00a0", " ")

    assert note.lstrip().startswith("clvdesk-forslag: ")
    for danish in ("Kunde: ana@example.com · niveau ", "Stemning: ", "Signaler: ", "Hvad gik galt: forsinket levering",
                   "Budget for denne sag: ", "Hvorfor:", "vil opsige", "gentagen henvendelse"):
        assert danish in note
    assert "købt for hidtil 38,20 kr." in note  # Danish money
    written = re.search(r" · pr\. (\d{1,2})\. (\S+) (\d{4})", note)  # the day CLV was recomputed for, Danish
    assert written and written.group(2) in DANISH_MONTHS
    assert re.search(r"\d+,\d\d kr\.", note.split("Hvorfor:")[1])  # the reasons' amounts too
    assert re.search(r"Regler v\d+ · ", note)
    assert '"STADIG IKKE KOMMET"' in note and '"Tredje Gang jeg skriver"' in note  # as the customer wrote them
    prose = re.sub(r"\[[\w.]+\]|clvdesk-ref:\S+", "", note)  # the rules' and the note's ids are no prose
    left = [text for text in ENGLISH_WORDS + ENGLISH_LABELS if text.lower() in prose.lower()]
    assert left == [], f"English left in a Danish note: {left}\n{note}"
