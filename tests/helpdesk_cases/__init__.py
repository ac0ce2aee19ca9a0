"""How the delivery-guarantee tests (tests/test_delivery.py) drive each registered helpdesk through its
stand-in: the stand-in module's PROFILE (clvdesk.standins.scenario.StandinProfile, which the load bench uses
too), plus the contract check the tests add. A helpdesk joins them with one module here that calls
`register(HelpdeskCase(...))`; every module in this package is imported, and a registered helpdesk without a
case fails those tests."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from clvdesk.standins.scenario import StandinProfile, WebhookRequest
from clvdesk.standins.server import StandinRequest, StandinServer


@dataclass(frozen=True)
class HelpdeskCase:
    profile: StandinProfile
    # checks each request against the vendor's API description; a violation fails the test (None: the
    # stand-in's own checks)
    validate: Callable[[StandinRequest], None] | None = None

    @property
    def name(self) -> str:
        return self.profile.name

    def standin(self) -> StandinServer:
        """A new, unstarted stand-in that records contract violations."""
        return self.profile.standin(**({} if self.validate is None else {"validate": self.validate}))

    def __getattr__(self, name: str):  # env, add_ticket, webhook, notes, note_method, event_id: the profile's
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.profile, name)


CASES: dict[str, HelpdeskCase] = {}


def register(case: HelpdeskCase) -> HelpdeskCase:
    if case.name in CASES:
        raise ValueError(f"a case for {case.name} is registered twice")
    CASES[case.name] = case
    return case


__all__ = ["CASES", "HelpdeskCase", "WebhookRequest", "register"]

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
