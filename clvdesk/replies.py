"""The reply an agent can insert with one click: the offer put to the customer in the ticket's language.

Written here rather than in the sidebar because the reply goes to the customer, so its language is the
ticket's (which the analyser detected), not the agent's interface language; and the note, the sidebar
and any other client then offer the same words. An offer that needs a supervisor's approval is not
promised before it is approved: until then the reply says only that the agent has asked for it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from clvdesk.analysis.model import SUPPORTED_LANGUAGES
from clvdesk.money import format_money
from clvdesk.rules import Offer

APOLOGY = {
    "en": "I'm sorry about the trouble, and thank you for your patience while we put it right.",
    "da": "Jeg beklager besværet, og tak for din tålmodighed, mens vi får det løst.",
}
# A customer who cannot pay on time has done nothing wrong and owes no patience: the reply thanks them
# for saying so and offers the arrangement as theirs to adjust, not as a concession.
PAYMENT_OPENING = {
    "en": "Thank you for telling us about your situation. I understand, and we will find a way that works for you.",
    "da": "Tak, fordi du fortæller os om din situation. Det forstår jeg godt, og vi finder en løsning, der passer dig.",
}
PAYMENT_INSTRUMENTS = frozenset({"payment_plan", "payment_deferral", "fee_waiver"})
OFFERS = {  # what follows the apology, per instrument; {amount} is the offer's amount
    "en": {
        "refund": "I have refunded {amount} to your original payment method.",
        "partial_refund": "As an apology, I have refunded {amount} to your original payment method.",
        "store_credit": "As an apology, I have added {amount} in store credit to your account.",
        "discount_next_order": "As an apology, you will get {amount} off your next order.",
        "free_shipping": "As an apology, your next order ships free of charge.",
        "replacement": "We will send you a replacement at no cost.",
        "payment_plan": "I have set up a payment plan so that you can pay in smaller instalments, and we have waived"
        " {amount} in fees. If the instalments do not suit you, just reply and we will change them.",
        "payment_deferral": "I have moved your payment date back, with no reminder fees in the meantime ({amount}"
        " waived). If you need more time, just reply.",
        "fee_waiver": "I have waived {amount} in fees on your account, so you pay only for the order itself.",
    },
    "da": {
        "refund": "Jeg har refunderet {amount} til din oprindelige betalingsmetode.",
        "partial_refund": "Som en undskyldning har jeg refunderet {amount} til din oprindelige betalingsmetode.",
        "store_credit": "Som en undskyldning har jeg sat {amount} i tilgodehavende på din konto.",
        "discount_next_order": "Som en undskyldning får du {amount} i rabat på din næste ordre.",
        "free_shipping": "Som en undskyldning får du gratis fragt på din næste ordre.",
        "replacement": "Vi sender dig en erstatning uden beregning.",
        "payment_plan": "Jeg har oprettet en afdragsordning, så du kan betale i mindre rater, og vi har frafaldet"
        " {amount} i gebyrer. Passer raterne dig ikke, så skriv bare, så ændrer vi dem.",
        "payment_deferral": "Jeg har rykket din betalingsfrist, og der kommer ingen rykkergebyrer i mellemtiden"
        " ({amount} frafaldet). Har du brug for mere tid, så skriv bare.",
        "fee_waiver": "Jeg har frafaldet {amount} i gebyrer på din konto, så du kun betaler for selve ordren.",
    },
}


# Before a supervisor approves: what the agent has asked for, never that it was given; {amount} as in OFFERS.
ASKED_FOR = {
    "en": {
        "refund": "I have asked for {amount} to be refunded to your original payment method.",
        "partial_refund": "As an apology, I have asked for {amount} to be refunded to your original payment method.",
        "store_credit": "As an apology, I have asked for {amount} in store credit to be added to your account.",
        "discount_next_order": "As an apology, I have asked for {amount} off your next order.",
        "free_shipping": "As an apology, I have asked for your next order to ship free of charge.",
        "replacement": "I have asked for a replacement to be sent to you at no cost.",
        "payment_plan": "I have asked for a payment plan so that you can pay in smaller instalments, with {amount}"
        " in fees waived.",
        "payment_deferral": "I have asked for your payment date to be moved back, with no reminder fees in the"
        " meantime ({amount} waived).",
        "fee_waiver": "I have asked for {amount} in fees on your account to be waived, so that you pay only for the"
        " order itself.",
    },
    "da": {
        "refund": "Jeg har bedt om at få refunderet {amount} til din oprindelige betalingsmetode.",
        "partial_refund": "Som en undskyldning har jeg bedt om at få refunderet {amount} til din oprindelige"
        " betalingsmetode.",
        "store_credit": "Som en undskyldning har jeg bedt om at få sat {amount} i tilgodehavende på din konto.",
        "discount_next_order": "Som en undskyldning har jeg bedt om {amount} i rabat til dig på din næste ordre.",
        "free_shipping": "Som en undskyldning har jeg bedt om gratis fragt til dig på din næste ordre.",
        "replacement": "Jeg har bedt om, at du får sendt en erstatning uden beregning.",
        "payment_plan": "Jeg har bedt om en afdragsordning, så du kan betale i mindre rater, og om at få frafaldet"
        " {amount} i gebyrer.",
        "payment_deferral": "Jeg har bedt om at få rykket din betalingsfrist, uden rykkergebyrer i mellemtiden"
        " ({amount} frafaldet).",
        "fee_waiver": "Jeg har bedt om at få frafaldet {amount} i gebyrer på din konto, så du kun betaler for selve"
        " ordren.",
    },
}
FOLLOW_UP = {  # after ASKED_FOR: the customer hears back, whatever the supervisor decides
    "en": "I will write to you again as soon as it is confirmed.",
    "da": "Jeg skriver til dig igen, så snart det er bekræftet.",
}


class Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    language: str
    text: str
    awaits_approval: bool = False  # the wording before a supervisor's approval: asked for, not given


def danish_money(amount: float, currency: str) -> str:
    """1.240,50 DKK: Danish groups thousands with dots and writes decimals after a comma."""
    digits = f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{digits} {currency}"


def suggested_reply(offer: Offer, language: str, approved: bool = False) -> Reply:
    """The reply for `offer` in `language`, or in English when clvdesk does not write that language.
    An offer that needs approval is promised only once `approved`; before, the reply says it was asked for."""
    language = language if language in SUPPORTED_LANGUAGES else "en"
    apology = (PAYMENT_OPENING if offer.instrument in PAYMENT_INSTRUMENTS else APOLOGY)[language]
    if offer.instrument == "apology_only" or offer.amount <= 0:
        return Reply(language=language, text=apology)
    amount = danish_money(offer.amount, offer.currency) if language == "da" else format_money(offer.amount, offer.currency)
    if offer.needs_approval and not approved:
        asked = ASKED_FOR[language][offer.instrument].format(amount=amount)
        return Reply(language=language, text=f"{apology} {asked} {FOLLOW_UP[language]}", awaits_approval=True)
    return Reply(language=language, text=f"{apology} {OFFERS[language][offer.instrument].format(amount=amount)}")
