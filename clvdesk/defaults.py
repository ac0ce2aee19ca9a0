"""Every tunable in one place: limits, windows, timeouts, key names and the queue name."""

# Webhook intake
WEBHOOK_TOLERANCE_SECONDS = 300  # Zendesk signs with a timestamp; accept ±5 minutes of clock skew
MAX_WEBHOOK_BYTES = 1024 * 1024  # bodies above 1 MiB get 413
REDIS_DOWN_RETRY_AFTER_SECONDS = 30  # told to the helpdesk with 503 when Redis is unreachable

# Queue
QUEUE_NAME = "clvdesk"
JOB_TIMEOUT_SECONDS = 120  # one event: a lookup, an analysis, at most a few helpdesk calls with backoff
# A finished job's record is the idempotency key of its event: a redelivery within this window is
# answered 200 and enqueues nothing. Zendesk retries within minutes; later ones meet the note marker.
EVENT_DEDUPE_SECONDS = 3 * 24 * 3600
FAILED_JOB_TTL_SECONDS = 30 * 24 * 3600

# Notes: the per-event marker that makes a note appear at most once, even across job retries
NOTE_MARKER_TTL_SECONDS = 30 * 24 * 3600
NOTE_REFERENCE_PREFIX = "clvdesk-ref:"
SAME_TEXT_WINDOW_SECONDS = 3600  # one customer message announced by two events gets one note  # ends every note; how clvdesk recognises its own comments

# Helpdesk HTTP
HTTP_CONNECT_TIMEOUT_SECONDS = 3.05
HTTP_READ_TIMEOUT_SECONDS = 15
HTTP_MAX_ATTEMPTS = 5  # first try plus four retries on 429, 5xx and connection errors
HTTP_BACKOFF_BASE_SECONDS = 0.5  # 0.5, 1, 2, 4 … between retries that carry no Retry-After
HTTP_BACKOFF_MAX_SECONDS = 30
HTTP_RETRY_AFTER_MAX_SECONDS = 120  # a longer Retry-After fails the attempt instead of holding a worker

# Redis connections made by clvdesk
REDIS_SOCKET_TIMEOUT_SECONDS = 2  # the receiver must answer well inside Zendesk's 10 s timeout
REDIS_HEALTH_CHECK_SECONDS = 30

# Storage
KEY_PREFIX = "clvdesk"
SUGGESTION_TTL_SECONDS = 180 * 24 * 3600
CUSTOMER_IMPORT_BATCH = 5000  # rows per pipeline round trip when loading the customer store

# Embedded Redis
EMBEDDED_REDIS_START_TIMEOUT_SECONDS = 10  # a fresh server answers at once; this bounds a slow AOF load
EMBEDDED_REDIS_STOP_TIMEOUT_SECONDS = 10  # SHUTDOWN fsyncs the AOF before the socket goes away
EMBEDDED_REDIS_POLL_SECONDS = 0.05
EMBEDDED_REDIS_MAX_SOCKET_PATH_BYTES = 103  # sun_path holds 108 bytes on Linux, 104 on macOS, NUL included
EMBEDDED_REDIS_LOG_TAIL_LINES = 5  # lines of the server's log quoted in a start failure

# Zendesk client
HTTP_ERROR_BODY_MAX_CHARS = 500  # of a refused request's answer kept in the error: Zendesk's reason, never a page
ZENDESK_MAX_PAGE_SIZE = 100  # Zendesk's cap on page[size] for cursor-paginated lists such as comments
