"""Freshdesk in the delivery-guarantee tests: its stand-in's profile (the stand-in checks the documented
fields itself); events as the README's automation-rule body with the secret in the custom header."""

from __future__ import annotations

from clvdesk.standins.freshdesk import PROFILE
from tests.helpdesk_cases import HelpdeskCase, register

register(HelpdeskCase(PROFILE))
