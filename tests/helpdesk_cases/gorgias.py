"""Gorgias in the delivery-guarantee tests: its stand-in's profile (the stand-in records every body that
breaks Gorgias's documented contract); events as the README's HTTP-integration body."""

from __future__ import annotations

from clvdesk.standins.gorgias import PROFILE
from clvdesk.standins.gorgias import PROFILE_API_KEY as API_KEY
from clvdesk.standins.gorgias import PROFILE_EMAIL as EMAIL
from clvdesk.standins.gorgias import PROFILE_WEBHOOK_SECRET as WEBHOOK_SECRET
from tests.helpdesk_cases import HelpdeskCase, register

__all__ = ["API_KEY", "EMAIL", "WEBHOOK_SECRET"]

register(HelpdeskCase(PROFILE))
