"""A supervisor's approval of an offer that needs one: who approved it and when.

An offer above its tier's `approval_above` must not be promised or given before it is approved, so the
reply promises it only once approved (clvdesk.replies) and an outcome that gives that much is refused
until then (clvdesk.outcomes, which keeps the approval in the suggestion's record). The approver is who
the sidebar says: the bearer token authenticates the app, not the agent, so the approval records the
agent the helpdesk's app reported and checks the tier's role against the role the app reported with it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from clvdesk.defaults import MAX_ID
from clvdesk.rules import Offer, exceeds_approval

AgentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
AgentRef = AgentId | Annotated[int, Field(ge=1, le=MAX_ID)]  # ZAF's currentUser.id, FDK's loggedInUser.id
AgentName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
AgentRole = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class ApprovalBody(BaseModel):
    """What the sidebar sends to approve: the approving agent as the helpdesk's app knows them."""

    model_config = ConfigDict(extra="forbid")

    agent_id: AgentRef
    agent_name: AgentName | None = None  # shown beside the approval
    agent_role: AgentRole | Annotated[int, Field(ge=0, le=MAX_ID)] | None = None  # ZAF's currentUser.role
    event_id: str | None = None  # the suggestion the approver saw; a newer one makes the approval stale


class Approval(BaseModel):
    """An approval as stored: once per suggestion, never replaced."""

    model_config = ConfigDict(frozen=True)

    approved_by: str
    approved_by_name: str | None = None
    approver_role: str | None = None
    approved_at: datetime


class ApprovalNotNeeded(ValueError):
    """The offer is within what an agent may give without a supervisor."""


class NotAnApprover(ValueError):
    """The approving agent's role is not the one the tier names."""


class ApprovalRequired(ValueError):
    """The outcome gives what needs a supervisor's approval, and none was recorded."""


def approver(role: str | None) -> str:
    """Who approves, as the API's refusals name them (notes and reasons take theirs from the language files)."""
    return f"a supervisor with the role {role}" if role else "a supervisor"


def check_approver(offer: Offer, body: ApprovalBody) -> None:
    """Refuse an approval the offer does not need, or one by an agent whose reported role is not the
    tier's approval_role. A sidebar that reports no role (Freshdesk's gives role ids only) is not checked."""
    if not offer.needs_approval:
        raise ApprovalNotNeeded("this offer is within what an agent may give: it needs no approval")
    role = None if body.agent_role is None else str(body.agent_role)
    if offer.approval_role and role is not None and role.casefold() != offer.approval_role.casefold():
        raise NotAnApprover(f"this offer needs approval by {approver(offer.approval_role)}; your role is {role}")


def outcome_needs_approval(offer: Offer, given: float) -> bool:
    """Whether recording `given` as given needs the offer approved first: an offer that needed approval,
    given as suggested or changed to an amount still above the threshold (any amount above zero when
    the suggestion predates stored thresholds)."""
    if not offer.needs_approval:
        return False
    return exceeds_approval(offer.approval_above if offer.approval_above is not None else 0.0, given)


def approved_line(approval: Approval) -> str:
    """Who approved when, as the server-rendered sidebars (Help Scout, Gorgias) show it."""
    who = approval.approved_by_name or approval.approved_by
    return f"Approved by {who}, {approval.approved_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


def approval_required_message(offer: Offer) -> str:
    return (
        f"this offer needs approval by {approver(offer.approval_role)} before it is given: "
        "approve it first, or record a smaller amount or a decline"
    )
