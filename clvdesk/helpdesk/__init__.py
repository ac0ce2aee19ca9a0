"""The helpdesk clvdesk serves (Zendesk), reached through one small client."""

from clvdesk.helpdesk.zendesk import HelpdeskError, HelpdeskRequestError, HelpdeskUnavailable, UpdateConflict, ZendeskClient

__all__ = ["HelpdeskError", "HelpdeskRequestError", "HelpdeskUnavailable", "UpdateConflict", "ZendeskClient"]
