"""The reply an agent can insert with one click: the offer put to the customer in the ticket's language.

Written here rather than in the sidebar because the reply goes to the customer, so its language is the
ticket's (which the analyser detected), not the agent's interface language; and the note, the sidebar
and any other client then offer the same words. An offer that needs a supervisor's approval is not
promised before it is approved: until then the reply says only that the agent has asked for it. The words
are each language file's "customer_reply" (clvdesk/locales/): a new sentence is a key there, in every file.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from clvdesk.i18n import language_of, lookup
from clvdesk.money import format_money
from clvdesk.rules import Offer

# A customer who cannot pay on time has done nothing wrong and owes no patience: the reply thanks them
# for saying so ("payment_opening") and offers the arrangement as theirs to adjust, not as a concession.
PAYMENT_INSTRUMENTS = frozenset({"payment_plan", "payment_deferral", "fee_waiver"})


class Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    language: str
    text: str
    awaits_approval: bool = False  # the wording before a supervisor's approval: asked for, not given


def suggested_reply(offer: Offer, language: str, approved: bool = False) -> Reply:
    """The reply for `offer` in `language`, or in English when clvdesk does not write that language.
    An offer that needs approval is promised only once `approved`; before, the reply says it was asked for."""
    language = language_of(language)
    words = lookup(language, "customer_reply")
    apology = words["payment_opening" if offer.instrument in PAYMENT_INSTRUMENTS else "apology"]
    if offer.instrument == "apology_only" or offer.amount <= 0:
        return Reply(language=language, text=apology)
    amount = format_money(offer.amount, offer.currency, language)
    if offer.needs_approval and not approved:
        asked = words["asked_for"][offer.instrument].format(amount=amount)
        return Reply(language=language, text=f"{apology} {asked} {words['follow_up']}", awaits_approval=True)
    return Reply(language=language, text=f"{apology} {words['offers'][offer.instrument].format(amount=amount)}")
