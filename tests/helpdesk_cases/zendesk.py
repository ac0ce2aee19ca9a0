"""Zendesk in the delivery-guarantee tests: its stand-in's profile, checked against Zendesk's OpenAPI
description; events as signed event-subscription webhooks."""

from __future__ import annotations

from clvdesk.standins.zendesk import PROFILE
from clvdesk.standins.zendesk import PROFILE_API_TOKEN as API_TOKEN
from clvdesk.standins.zendesk import PROFILE_EMAIL as EMAIL
from clvdesk.standins.zendesk import PROFILE_WEBHOOK_SECRET as WEBHOOK_SECRET
from tests.helpdesk_cases import HelpdeskCase, register
from tests.zendesk_contract import contract_validator

__all__ = ["API_TOKEN", "EMAIL", "WEBHOOK_SECRET"]

register(HelpdeskCase(PROFILE, validate=contract_validator()))
