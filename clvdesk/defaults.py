"""Every tunable in one place: limits, windows, timeouts, key names and the queue name."""

# Webhook intake
WEBHOOK_TOLERANCE_SECONDS = 300  # Zendesk signs with a timestamp; accept ±5 minutes of clock skew
# A signed body passes the check from the tolerance before its timestamp to the tolerance after, so its
# digest is remembered this long from first receipt: a replay within the window, under any invocation
# id, finds it; after the window the signature check refuses the replay itself.
WEBHOOK_REPLAY_SECONDS = 2 * WEBHOOK_TOLERANCE_SECONDS
MAX_WEBHOOK_BYTES = 1024 * 1024  # bodies above 1 MiB get 413
MAX_TICKET_TAGS = 1000  # tags a webhook may report on its ticket (clvdesk's own bound; Zendesk states none)
MAX_TAG_CHARS = 255  # characters in one of those tags
REDIS_DOWN_RETRY_AFTER_SECONDS = 30  # told to the helpdesk with 503 when Redis is unreachable
# Every JSON body (webhook, sidebar and admin APIs, the admin page's JSON view) is read by
# clvdesk/json_body.py within these bounds: Python's parser recurses per level (RecursionError near
# 1,000) and refuses integers past 4,300 digits; clvdesk's own bodies nest 5 deep, its ids have 20 digits.
MAX_JSON_DEPTH = 64  # nested arrays and objects
MAX_JSON_INTEGER_DIGITS = 100
MAX_ID = 2**63 - 1  # Zendesk's ticket and user ids are positive 64-bit integers
MAX_RECORD_ID_CHARS = 64  # any helpdesk's ticket id, as it goes into keys and paths
FRESHDESK_MAX_TEXT_CHARS = 65_536  # of a Freshdesk message's text analysed; the rest of a long e-mail is cut, not refused
MAX_REQUEST_ID_CHARS = 64  # a caller's X-Request-Id longer than this (or not [A-Za-z0-9._-]) is replaced

# The web server (`clvdesk web`). Requests are read in one I/O loop and handed to a thread when whole, so
# threads bound the requests being answered at once, not the clients connected (a slow one holds a socket).
WEB_THREADS = 8  # a webhook takes ~1.5 ms of CPU and one Redis round trip; 8 cover Redis latency spikes
WEB_CONNECTION_LIMIT = 1000  # open connections (slow or idle ones included); beyond it new ones wait
WEB_HEADER_TIMEOUT_SECONDS = 10  # from a request's first byte to the end of its headers, else closed
WEB_BODY_TIMEOUT_SECONDS = 30  # from the end of the headers to the end of the body (1 MiB: 35 KB/s)
WEB_IDLE_TIMEOUT_SECONDS = 15  # a connection with no request in progress and nothing received
WEB_DEADLINE_CHECK_SECONDS = 1  # how often the server looks for connections past these deadlines
WEB_MAX_HEADER_BYTES = 64 * 1024  # Zendesk sends under 2 KB of headers
MAX_TRUSTED_PROXIES = 5  # CLVDESK_TRUSTED_PROXIES above this is a typo, not a chain of proxies

# Queue
QUEUE_NAME = "clvdesk"
JOB_TIMEOUT_SECONDS = 90  # one event: a lookup, an analysis, a few helpdesk calls with their waits
# A job that fails for a reason worth retrying (helpdesk busy or down, Redis gone, worker killed) runs
# again after each of these delays; after the last one it stays in the dead-letter list. The first
# rerun is immediate: a killed worker's job should not wait, and the helpdesk client has already
# backed off within the job. Later ones go through RQ's scheduler.
JOB_RETRY_INTERVALS_SECONDS = (0, 30, 120, 600, 1800)
# A worker holds a job's lease for its timeout plus this margin; a killed worker's job is retried after.
JOB_LEASE_MARGIN_SECONDS = 5
WORKER_MAINTENANCE_SECONDS = 30  # how often a worker looks for jobs abandoned by killed workers
# The lock one worker takes to clean the registries: RQ keeps it 15 minutes, so a worker killed while
# cleaning would stall every rerun that long. Ours lapses before the next round.
REGISTRY_CLEANING_LOCK_SECONDS = WORKER_MAINTENANCE_SECONDS - 1
WORKER_THREADS = 4  # jobs one worker process runs at once; they mostly wait on the helpdesk's API
WORKER_STOP_POLL_SECONDS = 5  # how often an idle worker thread checks whether it should stop
# A worker's own heartbeat keeps its record (for `rq info` and the dashboards) alive for minutes; a
# busy worker sends it at most this often instead of three times a job. Jobs' leases are separate.
WORKER_HEARTBEAT_SECONDS = 5
WORKER_SUSPENSION_CHECK_SECONDS = 1  # `rq suspend` stops a busy worker within this
# A finished job's record is the idempotency key of its event: a redelivery within this window is
# answered 200 and enqueues nothing. Zendesk retries within minutes; later ones meet the note marker.
EVENT_DEDUPE_SECONDS = 3 * 24 * 3600
FAILED_JOB_TTL_SECONDS = 30 * 24 * 3600

# Notes: the per-event marker that makes a note appear at most once, even across job retries
NOTE_MARKER_TTL_SECONDS = 30 * 24 * 3600
NOTE_REFERENCE_PREFIX = "clvdesk-ref:"
SAME_TEXT_WINDOW_SECONDS = 3600  # one customer message announced by two events gets one note  # ends every note; how clvdesk recognises its own comments
# A note update whose answer was lost (AmbiguousWrite) is followed by a look at the ticket, and sent
# again only if the note is absent: at most this many sends in one job, then the job is retried later.
NOTE_SENDS_PER_JOB = 3

# Helpdesk HTTP
HTTP_CONNECT_TIMEOUT_SECONDS = 3.05
HTTP_READ_TIMEOUT_SECONDS = 15
HTTP_MAX_ATTEMPTS = 4  # first try plus three retries on 429, 5xx and connection errors
HTTP_BACKOFF_BASE_SECONDS = 0.5  # 0.5, 1, 2, 4 … between retries that carry no Retry-After
HTTP_BACKOFF_MAX_SECONDS = 30
HTTP_RETRY_AFTER_MAX_SECONDS = 30  # a longer Retry-After ends the job's attempt; the job is retried later

# Helpdesk rate limits, shared by every worker through Redis. Zendesk allows 200 (Team), 400
# (Professional) or 700 (Enterprise) requests a minute. At most burst + rate requests fall in any
# minute, so the defaults (10 + 160) stay below the smallest plan's limit.
ZENDESK_REQUESTS_PER_MINUTE = 160
# Freshdesk's budget is the account's, shared with its webhooks and apps: 50 a minute on trials, 3,000 an
# hour on the hourly plans (50 a minute), 200/400/700 a minute on Growth/Pro/Enterprise. 10 + 40 stays
# below the smallest; raise CLVDESK_FRESHDESK_REQUESTS_PER_MINUTE to what the account's
# X-RateLimit-Total says, less what its other apps use.
FRESHDESK_REQUESTS_PER_MINUTE = 40
RATE_LIMIT_BURST = 10  # requests that may go at once after a quiet spell
RATE_LIMIT_MAX_WAIT_SECONDS = 30  # a job waits at most this for a slot, then is retried later

# Redis connections made by clvdesk
REDIS_SOCKET_TIMEOUT_SECONDS = 2  # the receiver must answer well inside Zendesk's 10 s timeout
REDIS_HEALTH_CHECK_SECONDS = 30

# Storage
KEY_PREFIX = "clvdesk"
SUGGESTION_TTL_SECONDS = 180 * 24 * 3600
REQUESTER_CACHE_SECONDS = 3600  # a requester's email, looked up once an hour at most
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
FRESHDESK_PAGE_SIZE = 100  # conversations a page (per_page); python-freshdesk's default, the largest seen used
FRESHDESK_MAX_CONVERSATION_PAGES = 50  # 5,000 conversations: a ticket with more is not searched for the note

# Gorgias (https://developers.gorgias.com/reference/limitations): a leaky bucket per account, 40 requests per
# 20 s for API-key integrations (80 for OAuth apps; Enterprise accounts drain theirs in 10 s), reported on
# every answer as X-Gorgias-Account-Api-Call-Limit: used/limit. clvdesk paces itself at half the drain rate,
# leaving the account's other integrations room; when the header shows the bucket fuller than the threshold
# (someone else is busy) every worker holds until it has drained back to it.
GORGIAS_WINDOW_SECONDS = 20
GORGIAS_REQUESTS_PER_MINUTE = 60  # 40 per 20 s drains at 120 a minute
GORGIAS_BURST = 10
GORGIAS_CALL_LIMIT_THRESHOLD = 0.75  # share of the bucket above which clvdesk waits for it to drain
GORGIAS_MAX_PAGE_SIZE = 100  # Gorgias's cap on `limit` for cursor-paged lists such as a ticket's messages
GORGIAS_NOTE_SEARCH_PAGES = 10  # pages of a ticket's newest messages read to find an earlier note
# A customer's message longer than this is analysed from its start: refusing it would count towards the
# 100 failed requests after which Gorgias disables the integration.
GORGIAS_MAX_TEXT_CHARS = 65_536
GORGIAS_MAX_FIELD_CHARS = 1024  # a subject, an e-mail address or a channel name in that body

# CLV engine: money settings (CLVDESK_MARGIN, CLVDESK_ANNUAL_DISCOUNT_RATE, CLVDESK_CAC)
DEFAULT_MARGIN = 0.30  # share of an order's amount that is profit
DEFAULT_ANNUAL_DISCOUNT_RATE = 0.10  # future margin is worth 10% less a year later
DEFAULT_CAC = 0.0  # cost of acquiring one customer, subtracted once per customer from customer equity
# CLV engine: time
CLV_TIME_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
CLV_DEFAULT_TIME_UNIT = "week"
CLV_EXPECTED_PURCHASES_DAYS = 365  # horizon of expected_purchases_1y
# CLV engine: fitting
CLV_MIN_REPEAT_BUYERS = 20  # fewer repeat buyers cannot pin down purchase, drop-out or spend variation
CLV_FIT_GRADIENT_TOLERANCE = 1e-6  # max |d mean log-likelihood / d log parameter| at a converged fit
CLV_FIT_MAX_ITERATIONS = 500  # L-BFGS iterations from one starting point
CLV_FIT_POLISH_STEPS = 8  # Newton steps after L-BFGS, to land on the maximum to many digits
CLV_FIT_LINE_SEARCH_HALVINGS = 10  # halvings of a Newton step that would lower the likelihood
CLV_HESSIAN_STEP = 1e-5  # central-difference step on log-parameters for the observed information
CLV_PARAMETER_LIMIT = 1e6  # a parameter beyond 1e6 (or below 1e-6) has run off: the fit fails with the reason
CLV_STALLED_PARAMETER_LIMIT = 1e3  # where the search stalls with a parameter beyond this, it was running off
CLV_NO_DROP_OUT_SHARE = 1e-3  # BG/NBD stalling with a/(a+b) below this: almost no drop-out, a and b not identified
CLV_SPEND_CORRELATION_WARNING = 0.3  # |corr(frequency, spend)| above this breaks Gamma-Gamma's assumption
# CLV engine: scoring
CLV_QUADRATURE_NODES = 32  # Gauss–Legendre nodes for discounted purchase streams (tested to 1e-9 relative)
CLV_DISCOUNT_TAIL = 40.0  # stop a lifetime integral where the discount factor is below e^-40
CLV_PARETO_NODES = 48  # Gauss–Legendre nodes for Pareto/NBD's drop-out integral (tested to 1e-9 relative)
CLV_PARETO_TAIL_STEPS = 6  # Newton steps locating where that integrand has fallen by e^-40
CLV_BETA_MIXTURE_PANELS = 24  # panels of BG/NBD's drop-out mixture integral, where scipy's hyp2f1 overflows
CLV_BETA_MIXTURE_NODES = 16  # Gauss–Legendre nodes per panel (tested to 1e-10 against hyp2f1 where it is finite)
CLV_BETA_MIXTURE_BISECTIONS = 60  # halvings locating where the drop-out density has fallen by e^-40
# CLV engine: segments and value tiers (rules in clvdesk/clv/segments.py)
CLV_ACTIVE_P_ALIVE = 0.5  # at least this likely to be alive: active
CLV_LOST_P_ALIVE = 0.2  # below this: lost
CLV_HIGH_VALUE_SHARE = 0.2  # the top 20% by value are "high value"
CLV_NEW_CUSTOMER_DAYS = 90  # a first purchase this recent, without a repeat yet, is a new customer
CLV_VALUE_TIER_PERCENTILES = (("top", 95.0), ("high", 80.0), ("medium", 50.0))  # by residual CLV; the rest: low
CLV_STORE_PROGRESS_ROWS = 50_000  # loads bigger than this show a progress bar
CLV_SPARK_APP_NAME = "clvdesk clv fit"  # the Spark application's name in the cluster's UI
CLV_SPARK_INVALID_SAMPLE = 1000  # customers without a valid score brought to the driver to name the problem
CLV_SPARK_LOG = "spark.log"  # in CLVDESK_DATA_DIR: the JVM's log of `clv fit --engine spark`, kept off the command's output
CLV_AUTO_HOLDOUT_SHARE = 0.5  # --model auto holds out the last half of the order history (CDNOW's 39 + 39 weeks)
# CLV engine: orders larger than memory (clvdesk/clv/outofcore.py)
CLV_OUT_OF_CORE_MEMORY_MIB = 1024  # DuckDB's memory limit; past it the aggregation spills to a temporary directory
CLV_OUT_OF_CORE_THREADS = 2  # DuckDB threads (its memory use grows with them)
CLV_IN_MEMORY_ORDERS_BYTES = 256 * 1024 * 1024  # a single orders file up to this size is read whole (errors give its line)
CLV_DATE_SAMPLE_VALUES = 1000  # distinct dates (the first ones) that rule out most candidate formats before every value is read
CLV_DATE_MIN_YEAR = 1000  # an earlier day is not a date: DuckDB's %Y would read the year 97 of 18/01/97 as 0097

# Tier rules (clvdesk/rules.py) and their versions
RULES_MAX_WINDOW_DAYS = 366  # rolling budgets and abuse guards look back at most a year
RULES_MAX_ADJUSTMENT = 5.0  # an adjustment multiplies a ticket's budget by at most this
RULES_SPEND_ATTEMPTS = 10  # decisions per ticket at most: the first assumes nothing spent, each later one is on the usage Redis answered
# A suggestion no agent has recorded an outcome for counts against the customer's rolling budget and abuse
# guard for this long after it was made (the agent may still give it), then is released.
PENDING_OFFER_HOLD_SECONDS = 7 * 24 * 3600
RULES_HISTORY_LIMIT = 100  # versions listed by the admin API, newest first
SCAN_BATCH = 1000  # keys per SCAN and MGET when reading every stored suggestion

# Simulation of rules on past tickets (clvdesk/simulation.py, POST /api/v1/admin/rules/simulate)
SIMULATION_MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a CSV of past tickets; ~1M rows of ids and labels
SIMULATION_TICKETS_SHOWN = 200  # tickets whose suggestion changes, listed in the API's answer

# Sidebar app: outcomes and their report (clvdesk/outcomes.py, GET /api/v1/admin/report)
MAX_AMOUNT = 1e9  # any money amount a rule or an outcome may state: sums of them stay finite
REPORT_MIN_YEAR, REPORT_MAX_YEAR = 2000, 9998  # report dates outside these years are refused
OUTCOME_RETENTION_DAYS = 400  # each suggestion's record, with its outcome, for a year's report and a margin
REPORT_DEFAULT_DAYS = 30  # a report without `from` covers the last 30 days
REPORT_MAX_DAYS = 366  # the longest range one report may cover
# Shops (clvdesk/shop/): Shopify and WooCommerce orders feed the customer store as they happen.
SHOP_COMMIT_ATTEMPTS = 5  # an order's update is retried this often when another update of the customer came between
SHOP_CUTOFF_SAMPLE = 10_000  # customers sampled, once per store version, for the segment and value-tier cutoffs
SHOP_DELIVERY_DEDUPE_SECONDS = EVENT_DEDUPE_SECONDS  # a delivery id is remembered this long (Shopify retries for 4 h)
SHOPIFY_API_VERSION = "2025-01"
SHOPIFY_PAGE_SIZE = 100  # orders per GraphQL page in the backfill
WOOCOMMERCE_PAGE_SIZE = 100  # orders per /wp-json/wc/v3/orders page (the WP REST maximum)

# CORS: the origins that may call the sidebar API from a browser (plugin/cors.py). Zendesk serves each
# app's iframe from https://<app id>.apps.zdusercontent.com; the agent interface is <subdomain>.zendesk.com.
CORS_ALLOWED_ORIGINS = (r"https://[a-z0-9][a-z0-9-]*\.zendesk\.com", r"https://[a-z0-9-]+\.apps\.zdusercontent\.com")
CORS_MAX_AGE_SECONDS = 600  # how long a browser may reuse a preflight's answer
# The admin page (plugin/admin_page.py)
ADMIN_SESSION_HOURS = 8  # a sign-in lasts this long
ADMIN_FORM_MAX_PARTS = 20_000  # inputs in one post of the rules form (about 50 a tier)
# An input's name is its setting's JSON path; the longest, tiers[0].category_instruments.<category>[1],
# has 46 characters in 5 parts. Longer or deeper names are refused before the form is built from them.
ADMIN_FORM_MAX_NAME_CHARS = 200
ADMIN_FORM_MAX_NAME_PARTS = 8
ADMIN_SIGN_IN_FAILURES = 10  # wrong admin tokens one address may send within the window below
ADMIN_SIGN_IN_WINDOW_SECONDS = 15 * 60  # ... before it must wait for the window to end
ADMIN_SECRET_KEY_BYTES = 32  # the session-signing key generated when CLVDESK_SECRET_KEY is unset
# CLVDESK_API_TOKEN, CLVDESK_ADMIN_TOKEN and CLVDESK_SECRET_KEY are at least this long: 32 characters
# of token_urlsafe carry 192 bits, beyond any guessing; a shorter one stops the command.
MIN_TOKEN_CHARS = 32

# Help Scout (clvdesk/helpdesk/helpscout/). Its rate limit "depends on your plan" and is not published
# per plan for the Mailbox API 2.0; the legacy API allowed 200 a minute, and writes (POST, PUT) count
# twice. An event costs at most four calls, two of them writes: 90 + the burst keeps a minute of them
# within 200 even if all were writes.
HELPSCOUT_API_URL = "https://api.helpscout.net"
HELPSCOUT_REQUESTS_PER_MINUTE = 90
HELPSCOUT_MAX_SECRET_CHARS = 40  # Help Scout takes webhook and Dynamic App secrets of at most 40 characters
# A client-credentials token lives `expires_in` seconds (48 h today); a new one is fetched this long
# before it ends, so no call goes out with a token about to lapse.
HELPSCOUT_TOKEN_REFRESH_MARGIN_SECONDS = 300
HELPSCOUT_MAX_THREAD_PAGES = 3  # a conversation holds at most 100 threads, 50 a page: 2 pages, and a margin
HELPSCOUT_SIDEBAR_MAX_HTML_CHARS = 20_000  # the Dynamic App's answer; longer evidence is cut, never the page

# `clvdesk demo` (clvdesk/demo.py) and `clvdesk demo send` (clvdesk/demo_send.py)
DEMO_FIRST_SENT_TICKET = 1001  # `demo send` numbers its tickets from here, apart from the sample tickets
DEMO_SEND_TIMEOUT_SECONDS = 60.0  # how long `demo send` waits for the note by default
DEMO_NOTE_POLL_SECONDS = 0.5  # how often `demo send` looks at the stand-in's ticket for the note
