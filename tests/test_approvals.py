"""Approval in the domain: the reply promises an offer that needs approval only once it is approved, in
every instrument and language; which outcomes need the approval first; the approval kept once."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from clvdesk.approvals import ApprovalBody, ApprovalNotNeeded, NotAnApprover, check_approver, outcome_needs_approval
from clvdesk.customers import CustomerValue
from clvdesk.analysis import Sentiment
from clvdesk.note import render_note
from clvdesk.outcomes import outcome_report
from clvdesk.i18n import lookup
from clvdesk.replies import suggested_reply
from clvdesk.rules import Offer, decide, load_rules
from clvdesk.suggestions import SuggestionStore
from tests.test_outcomes import DAY, suggestion

WORDS = {language: lookup(language, "customer_reply") for language in ("en", "da")}
INSTRUMENTS = sorted(WORDS["en"]["offers"])
GIVEN_WORDS = {"en": ("I have refunded", "I have added", "you will get", "ships free", "We will send", "I have set up",
                      "I have moved", "I have waived"),
               "da": ("har refunderet", "har sat", "får du", "Vi sender", "har oprettet", "har rykket", "har frafaldet")}


def offer(instrument: str = "partial_refund", amount: float = 248.0, *, needs_approval: bool = True, role: str | None = None) -> Offer:
    return Offer(instrument=instrument, instrument_label=instrument, amount=amount, currency="USD", budget=amount,
                 needs_approval=needs_approval, approval_above=150.0 if needs_approval else None, approval_role=role)


def test_before_approval_the_reply_says_the_offer_was_asked_for_and_after_it_that_it_was_given():
    before = suggested_reply(offer(), "en")
    assert before.awaits_approval is True
    assert before.text == (
        "I'm sorry about the trouble, and thank you for your patience while we put it right. As an apology, I have "
        "asked for $248.00 to be refunded to your original payment method. I will write to you again as soon as it "
        "is confirmed."
    )
    after = suggested_reply(offer(), "en", approved=True)
    assert after.awaits_approval is False
    assert after.text.endswith("As an apology, I have refunded $248.00 to your original payment method.")
    danish = suggested_reply(offer(amount=1240.5), "da")
    assert "har jeg bedt om at få refunderet 1.240,50\u00a0US$" in danish.text
    assert danish.text.endswith("Jeg skriver til dig igen, så snart det er bekræftet.")


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_no_instrument_is_promised_before_approval(instrument, language):
    assert set(WORDS[language]["asked_for"]) == set(WORDS[language]["offers"])
    before = suggested_reply(offer(instrument), language).text
    after = suggested_reply(offer(instrument), language, approved=True).text
    assert before != after
    assert not [words for words in GIVEN_WORDS[language] if words in before], before
    if "{amount}" in WORDS[language]["offers"][instrument]:
        amount = "$248.00" if language == "en" else "248,00\u00a0US$"
        assert amount in before and amount in after


def test_an_offer_that_needs_no_approval_is_promised_at_once():
    within = offer(amount=100.0, needs_approval=False)
    assert suggested_reply(within, "en").text == suggested_reply(within, "en", approved=True).text
    assert "I have refunded $100.00" in suggested_reply(within, "en").text
    assert suggested_reply(offer("apology_only", 0.0, needs_approval=False), "en").awaits_approval is False


def test_the_decision_carries_the_threshold_and_role_into_the_offer_and_the_note():
    rules = load_rules()
    data = rules.model_dump(mode="json")
    data["tiers"][0]["approval_role"] = "Team lead"
    led = type(rules).model_validate(data)
    champion = CustomerValue(email="ana@example.com", residual_clv=1240, historical_spend=2300)
    angry = Sentiment(score=-0.9, label="very_negative")
    decision = decide(led, champion, angry)
    assert (decision.offer.needs_approval, decision.offer.approval_above, decision.offer.approval_role) == (True, 150.0, "Team lead")
    small = decide(led, champion.model_copy(update={"residual_clv": 500}), angry)
    assert (small.offer.needs_approval, small.offer.approval_above, small.offer.approval_role) == (False, None, None)

    shown = suggestion(amount=248.0).model_copy(update={"offer": decision.offer})
    note = render_note(shown)
    assert note.startswith("clvdesk suggestion: Partial refund: $248.00 (needs approval by a supervisor with the role Team lead)")
    assert "Approval: a supervisor with the role Team lead must approve before the customer is promised this." in note


@pytest.mark.parametrize(("given", "needed"), [(248.0, True), (150.01, True), (150.0, False), (0.0, False)])
def test_an_outcome_needs_the_approval_when_it_gives_more_than_the_threshold(given, needed):
    assert outcome_needs_approval(offer(), given) is needed
    assert outcome_needs_approval(offer(needs_approval=False), given) is False


def test_an_old_suggestion_without_a_threshold_needs_approval_for_any_amount_given():
    old = offer().model_copy(update={"approval_above": None})
    assert outcome_needs_approval(old, 1.0) and not outcome_needs_approval(old, 0.0)


def test_the_approver_is_checked_against_the_tiers_role_when_the_sidebar_reports_one():
    led = offer(role="Team lead")
    check_approver(led, ApprovalBody(agent_id=1, agent_role="TEAM LEAD"))
    check_approver(led, ApprovalBody(agent_id=1))  # no role reported: recorded, not checked
    with pytest.raises(NotAnApprover, match="your role is agent"):
        check_approver(led, ApprovalBody(agent_id=1, agent_role="agent"))
    with pytest.raises(ApprovalNotNeeded):
        check_approver(offer(needs_approval=False), ApprovalBody(agent_id=1))


def test_the_approval_is_kept_once_in_the_suggestions_record(redis):
    store = SuggestionStore(redis)
    shown = suggestion(amount=248.0).model_copy(update={"offer": offer()})
    store.save(shown)
    first_at = datetime(2026, 12, 4, 20, 15, tzinfo=timezone.utc)
    first, made = store.log.approve(shown, ApprovalBody(agent_id=55, agent_name="Sam Lead"), now=first_at)
    again, made_again = store.log.approve(shown, ApprovalBody(agent_id=56), now=datetime.now(timezone.utc))
    assert (made, made_again) == (True, False)
    assert again == first == store.log.approval(shown)
    assert (first.approved_by, first.approved_by_name, first.approved_at) == ("55", "Sam Lead", first_at)
    rows = store.log.records(DAY.date(), DAY.date())  # the report reads the record as before
    assert outcome_report(rows, DAY.date(), DAY.date())["totals"][0]["suggestions"] == 1


@pytest.mark.parametrize("role", ["Team lead\nclvdesk-ref:fake", "lead\u2028x", "lead\x00"])
def test_an_approval_role_is_one_line_since_the_note_names_it(role):
    data = load_rules().model_dump(mode="json")
    data["tiers"][0]["approval_role"] = role
    with pytest.raises(ValueError, match="must be one line of text"):
        type(load_rules()).model_validate(data)
