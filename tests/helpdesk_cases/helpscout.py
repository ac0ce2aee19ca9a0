"""Help Scout in the delivery-guarantee tests: its stand-in's profile (checked against the documented calls
by the stand-in's own contract); events as signed convo.customer.reply.created webhooks."""

from __future__ import annotations

from clvdesk.standins.helpscout import PROFILE
from clvdesk.standins.helpscout import PROFILE_APP_ID as APP_ID
from clvdesk.standins.helpscout import PROFILE_SIDEBAR_SECRET as SIDEBAR_SECRET
from clvdesk.standins.helpscout import PROFILE_WEBHOOK_SECRET as WEBHOOK_SECRET
from tests.helpdesk_cases import HelpdeskCase, register

__all__ = ["APP_ID", "SIDEBAR_SECRET", "WEBHOOK_SECRET"]

register(HelpdeskCase(PROFILE))
