"""Help Scout Mailbox API 2.0 client: notes, tags, customers, over the common ApiTransport with Help Scout's rules.

Every call carries an OAuth2 client-credentials token (developer.helpscout.com/mailbox-api/overview/
authentication). One token serves all of a worker's threads; it is fetched again shortly before
`expires_in` runs out, and once after a 401 (Help Scout refuses before applying, so even a note may
then be sent again). A 429 says how long to wait in X-RateLimit-Retry-After.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from clvdesk.defaults import HELPSCOUT_MAX_THREAD_PAGES, HELPSCOUT_TOKEN_REFRESH_MARGIN_SECONDS, HTTP_MAX_ATTEMPTS
from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskError, HelpdeskRequestError
from clvdesk.helpdesk.helpscout.settings import NAME
from clvdesk.helpdesk.helpscout.webhook import helpscout_id
from clvdesk.helpdesk.interface import PostedNote, Requester
from clvdesk.helpdesk.transport import ApiHooks, ApiResponse, ApiTransport, plain_refusal, retry_after_header
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter

TOKEN_PATH = "/v2/oauth2/token"
_CONVERSATION_PATH = re.compile(r"/v2/conversations/[1-9][0-9]{0,18}(/threads)?")
RETRY_AFTER_HEADER = "X-RateLimit-Retry-After"


class HelpScoutAuthError(HelpdeskRequestError):
    """Help Scout refused the app's credentials or its token (401): the app id, secret or user is wrong."""


class TokenError(HelpdeskError):
    """The token endpoint answered, but not with a bearer token: the API URL is not Help Scout's."""


def _retry_after(response: ApiResponse) -> float | None:
    """Help Scout's X-RateLimit-Retry-After, in seconds; the plain Retry-After of its older API otherwise."""
    try:
        return max(0.0, float(response.headers[RETRY_AFTER_HEADER]))
    except (KeyError, ValueError):
        return retry_after_header(response)


def _refusal(response: ApiResponse) -> HelpdeskRequestError:
    """A refused call; a 401 (bad credentials, or a token Help Scout no longer takes) as HelpScoutAuthError."""
    refused = plain_refusal(response)
    return HelpScoutAuthError(refused.method, refused.path, refused.status, refused.body) if refused.status == 401 else refused


class TokenSource:
    """The account's access token, fetched when missing or about to lapse; one per process and account
    (`shared`), so that every worker thread, each with its own client, uses the same token."""

    _shared: dict[tuple[str, str, str], TokenSource] = {}
    _shared_lock = threading.Lock()

    def __init__(
        self, base_url: str, app_id: str, app_secret: str, *,
        clock: Callable[[], float] = time.monotonic, margin: float = HELPSCOUT_TOKEN_REFRESH_MARGIN_SECONDS,
        **transport: object,
    ):
        """`transport`: ApiTransport's options (limiter, metrics, sleep, max_attempts)."""
        # paced and paused with the account's API calls: Help Scout does not say the token call is apart
        hooks = ApiHooks(auth_headers=dict, retry_after=_retry_after, refusal=_refusal)
        self._api = ApiTransport(base_url, hooks, helpdesk=NAME, account=app_id, **transport)
        self._credentials = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": app_secret}
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.fetched = 0  # tokens fetched so far

    @classmethod
    def shared(cls, base_url: str, app_id: str, app_secret: str, **options: object) -> TokenSource:
        """The process's token source for this account (made on first use)."""
        key = (base_url, app_id, hashlib.sha256(app_secret.encode()).hexdigest())
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(base_url, app_id, app_secret, **options)
            return cls._shared[key]

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._fetch()
            return self._token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def drop(self, token: str) -> None:
        """Forget `token` after Help Scout refused it; a token another thread has already renewed stays."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> None:
        asked_at = self._clock()
        answer = self._api.call("POST", TOKEN_PATH, json=self._credentials).json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        lifetime = answer.get("expires_in") if isinstance(answer, dict) else None
        kind = answer.get("token_type") if isinstance(answer, dict) else None
        if not (isinstance(token, str) and token and isinstance(lifetime, (int, float)) and lifetime > 0
                and isinstance(kind, str) and kind.lower() == "bearer"):
            raise TokenError(f"POST {TOKEN_PATH} answered without a bearer token and its lifetime")
        self._token = token
        self._renew_at = asked_at + max(lifetime - self._margin, lifetime / 2)
        self.fetched += 1


def _names(tags: object) -> list[str]:
    return [tag["tag"] for tag in tags or () if isinstance(tag, dict) and isinstance(tag.get("tag"), str)]


class HelpScoutClient:
    """Posts notes, finds them, merges tags and reads customers for one Help Scout account."""

    helpdesk = NAME
    note_format = "html"

    def __init__(
        self,
        base_url: str,
        *,
        app_id: str,
        app_secret: str,
        account: str | None = None,
        max_attempts: int = HTTP_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
        tokens: TokenSource | None = None,
    ):
        """`tokens`: the process's shared source (TokenSource.shared); by default one of the client's own."""
        self.account = account or app_id
        common = {"max_attempts": max_attempts, "sleep": sleep, "metrics": metrics}
        self.tokens = tokens or TokenSource(base_url, app_id, app_secret, clock=clock, limiter=limiter, **common)
        hooks = ApiHooks(auth_headers=self.tokens.headers, retry_after=_retry_after, refusal=_refusal)
        self._api = ApiTransport(base_url, hooks, helpdesk=NAME, account=self.account, limiter=limiter, **common)

    def close(self) -> None:
        """Release pooled connections (the shared token's stay, for the process's other clients)."""
        self._api.close()

    def _call(self, method: str, path: str, **options: object) -> ApiResponse:
        """One call; a refused token is dropped and the call sent once more with a new one."""
        token = self.tokens.token()
        try:
            return self._api.call(method, path, **options)
        except HelpScoutAuthError:
            self.tokens.drop(token)
            return self._api.call(method, path, **options)

    def _get(self, path: str, **options: object) -> dict:
        """A GET's JSON. Help Scout answers a merged conversation's old id with 301 and the new one's URL
        (for 60 days after the merge); that is followed once."""
        response = self._call("GET", path, **options)
        if response.status == 301:
            moved = urlsplit(response.headers.get("Location", "")).path
            if not _CONVERSATION_PATH.fullmatch(moved):
                raise HelpdeskError(f"GET {path} answered 301 to {moved[:80]!r}, not to a conversation")
            response = self._call("GET", moved, **options)
        return response.json()

    def conversation(self, conversation_id: str) -> dict:
        return self._get(f"/v2/conversations/{helpscout_id(conversation_id)}")

    def requester(self, requester_id: str) -> Requester:
        customer = self._call("GET", f"/v2/customers/{helpscout_id(requester_id)}").json()
        emails = [email.get("value") for email in (customer.get("_embedded") or {}).get("emails") or ()]
        return Requester(email=next((email for email in emails if isinstance(email, str) and email), None), external_id=None)

    def post_note(self, event: TicketEvent, note: str, tags: list[str]) -> PostedNote:
        """The note as a thread of its own (201, its id in Resource-ID); not repeatable: a lost answer
        raises AmbiguousWrite. Tags go separately (add_tags): Help Scout's note call takes none."""
        try:
            self._call("POST", f"/v2/conversations/{helpscout_id(event.ticket_id)}/notes", json={"text": note}, repeatable=False)
        except HelpdeskRequestError as refused:
            live = str(self.conversation(event.ticket_id)["id"]) if refused.status == 404 else event.ticket_id
            if live == event.ticket_id:
                raise
            # merged into `live`: writes to the old id answer 404, and nothing was written
            self._call("POST", f"/v2/conversations/{helpscout_id(live)}/notes", json={"text": note}, repeatable=False)
        return PostedNote(tags=None)

    def has_note(self, ticket_id: str, reference: str) -> bool:
        """Whether a note thread carries `reference`, looking through the conversation's pages of threads."""
        path = f"/v2/conversations/{helpscout_id(ticket_id)}/threads"
        for page in range(1, HELPSCOUT_MAX_THREAD_PAGES + 1):
            answer = self._get(path, params={"page": page})
            threads = (answer.get("_embedded") or {}).get("threads") or []
            if any(thread.get("type") == "note" and reference in (thread.get("body") or "") for thread in threads):
                return True
            if "next" not in (answer.get("_links") or {}):
                return False
        raise HelpdeskError(f"GET {path} has more than {HELPSCOUT_MAX_THREAD_PAGES} pages of threads: the note cannot be ruled out")

    def add_tags(self, ticket_id: str, tags: list[str]) -> list[str]:
        """Read the conversation's tags, add ours, write the whole list (Help Scout's tags call replaces it).

        A write whose answer was lost is not sent again as it was: the tags are read and merged again,
        so the lost write's effect, or a tag an agent set or removed in between, is seen first."""
        try:
            return self._merge_tags(ticket_id, tags)
        except AmbiguousWrite:
            return self._merge_tags(ticket_id, tags)

    def _merge_tags(self, ticket_id: str, tags: list[str]) -> list[str]:
        conversation = self.conversation(ticket_id)  # a merged one's, under its new id
        current = _names(conversation.get("tags"))
        known = {tag.lower() for tag in current}
        wanted = [*current, *dict.fromkeys(tag.lower() for tag in tags if tag.lower() not in known)]
        if len(wanted) > len(current):
            path = f"/v2/conversations/{helpscout_id(str(conversation['id']))}/tags"
            self._call("PUT", path, json={"tags": wanted}, repeatable=False)
        return wanted
