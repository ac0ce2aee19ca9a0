"""The first analyser: politeness is not positivity, and signals carry their evidence."""

from __future__ import annotations

from clvdesk.sentiment import analyse


def test_polite_complaint_is_not_positive():
    result = analyse("Hi, thanks in advance, please help: my parcel is late and still not delivered.")
    assert result.label in ("negative", "very_negative")
    assert result.has("complaint")


def test_churn_threat_and_anger_are_found_with_their_words():
    result = analyse("This is ridiculous!! I will cancel my account and never order from you again.")
    assert result.label == "very_negative"
    churn = next(signal for signal in result.signals if signal.name == "churn_intent")
    assert "cancel my account" in churn.evidence
    assert "never order from you again" in churn.evidence
    assert result.has("anger")


def test_thanks_is_positive_and_without_signals():
    result = analyse("Got it, thanks so much, great service!")
    assert result.label == "positive"
    assert result.signals == []


def test_quoted_replies_and_handles_are_not_the_customers_words():
    result = analyse("Lovely, thank you!\n> On Monday Support wrote:\n> Sorry it arrived broken, this is unacceptable")
    assert not result.has("complaint") and not result.has("anger")


def test_urgency_alone_does_not_make_a_ticket_negative():
    result = analyse("Could you send the invoice today? Thanks!")
    assert result.has("urgency")
    assert result.label in ("neutral", "positive")
