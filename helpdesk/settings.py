"""Settings, read from the environment (12-factor). See README.md "Configuration"."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

from helpdesk.environment import celery_broker_url, env_bool, env_int, env_list, env_networks, env_rate

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"  # git-ignored: embedded database, generated secrets


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. `make run` and `make test` generate one in .local/; "
        "in production set it in the environment."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
PORT = env_int("PORT", 8000)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # Only for the migration that hashed its tokens into helpdesk.ApiToken; its admin is removed.
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "helpdesk",
    "chat",
    "tickets",
    "canned",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # X-Request-ID in and out; the id is on every log line of the request.
    "helpdesk.platform.logs.RequestIdMiddleware",
    "helpdesk.platform.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Visitor pages: the widget's data-lang (?lang=) wins; agent pages: AGENT_LANGUAGES only.
    "helpdesk.platform.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before any view or form reads a parameter: NUL in a query or form → 400.
    "helpdesk.platform.middleware.RejectUnstorableTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "helpdesk.platform.content_security.ContentSecurityPolicyMiddleware",
    # Turns a sign-in that django-axes locked out into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Last, so that it sees a view's exception first: database or Redis down → 503.
    "helpdesk.platform.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, or the embedded SQLite file.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{LOCAL_DIR / 'db.sqlite3'}",
        # Not persistent: under ASGI each request's sync work runs on a thread of its own, so a
        # connection kept for reuse was never reused nor closed (one leaked per request). Each
        # request and socket call gives its connection back when it ends: to the pool below on
        # PostgreSQL.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # With the pool: a connection is checked as it leaves the pool, so one that the server
        # ended (restart, pg_terminate_backend) is replaced instead of failing a request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    LOCAL_DIR.mkdir(exist_ok=True)
    # Several processes (daphne, celery) share the file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock up front instead of failing on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests need a file (not :memory:) so that the Daphne and Celery processes they start
    # see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(LOCAL_DIR / "test.sqlite3")}
# Threads a server process runs websocket database work on (helpdesk/platform/db_threads.py): a pool
# on PostgreSQL, so commits overlap; one on SQLite, which has one writer at a time anyway.
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
DATABASE_THREADS = env_int("DATABASE_THREADS", 1 if _SQLITE else 8)
# PostgreSQL: each process holds at most DATABASE_POOL_MAX_SIZE connections (psycopg's pool,
# README "Connection budget"): the websocket threads plus a few HTTP requests at once. A request
# that finds every connection busy, or the database unreachable, waits DATABASE_POOL_TIMEOUT
# seconds, then fails as the database being unavailable (503 / `unavailable`) rather than
# hanging. 0 turns the pool off (e.g. behind PgBouncer); then DATABASE_CONN_MAX_AGE applies.
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", DATABASE_THREADS + 4)
# None kept open while idle: a Celery child runs one task at a time and Celery closes its pool
# after each task, so a pool opening with N connections would connect N times per task.
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 0)
DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_MAX_SIZE > 0:
    if DATABASES["default"]["CONN_MAX_AGE"] != 0:
        raise ImproperlyConfigured(
            "DATABASE_CONN_MAX_AGE must be 0 while the connection pool is on; "
            "set DATABASE_POOL_MAX_SIZE=0 to use persistent connections instead."
        )
    # Django's backend, with a pool that replaces all its idle connections once one is found
    # dead (helpdesk/platform/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "helpdesk.platform.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(DATABASE_POOL_MIN_SIZE, DATABASE_POOL_MAX_SIZE),
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT,
        # A failed connection attempt is retried after 1 s, 2 s, 4 s… psycopg keeps at it for
        # 5 minutes by default, so after an outage the pool's next try came as late as the outage
        # had lasted. Giving up after 2 s lets the next request try again at once.
        "reconnect_timeout": 2,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The visitor side (chat page, widget, their API messages and e-mails) in these languages.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
# The agent and manager pages' languages, first the default: English is shipped; add a code once
# its catalog translates those pages too.
AGENT_LANGUAGES = env_list("AGENT_LANGUAGES") or ["en"]
if not set(AGENT_LANGUAGES) <= {code for code, _name in LANGUAGES}:
    raise ImproperlyConfigured(f"AGENT_LANGUAGES {AGENT_LANGUAGES} must be among {[c for c, _n in LANGUAGES]}.")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/agent/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Brute-force protection on every password sign-in (/accounts/login/, /admin/login/): after
# AXES_FAILURE_LIMIT failures for one username, or from one client address (TRUSTED_PROXY_COUNT
# rule, an IPv6 /64 counted as one), signing in is refused for AXES_COOLOFF_MINUTES, restarted by
# each attempt meanwhile. Failures are rows in the database (axes' AccessAttempt); deleting them
# in the admin unlocks. API tokens and sockets do not sign in with a password and are not counted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out sign-in before the password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "helpdesk.agents.accounts.login_client_ip"
AXES_LOCKOUT_CALLABLE = "helpdesk.agents.accounts.lockout_response"
# Successful sign-ins are not recorded: only failures are needed, and a log of every sign-in
# would grow without bound.
AXES_DISABLE_ACCESS_LOG = True

# Production is HTTPS only (redirect, HSTS, cookies sent over HTTPS only) unless
# ALLOW_PLAIN_HTTP says otherwise: a forgotten variable must leave the secure choice, not the
# insecure one. BEHIND_TLS_PROXY only means: trust X-Forwarded-Proto from the proxy that
# terminates TLS. The session cookie is HttpOnly (Django's default); the CSRF cookie is not, since
# the pages' JavaScript reads it for the X-CSRFToken header. SameSite=Lax on both: visitor
# pages framed on other sites use neither cookie.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
ALLOW_PLAIN_HTTP = env_bool("ALLOW_PLAIN_HTTP")
if not DEBUG:
    BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
    SESSION_COOKIE_SECURE = not ALLOW_PLAIN_HTTP
    CSRF_COOKIE_SECURE = not ALLOW_PLAIN_HTTP
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not ALLOW_PLAIN_HTTP)
    # One year. A help desk usually lives on its own host (help.example.com), so including
    # subdomains and the preload flag cover that host's subdomains only, never the apex.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if ALLOW_PLAIN_HTTP else 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Load balancers and container health checks probe the server itself over plain HTTP: the
# probes (helpdesk/platform/health.py) answer there instead of redirecting to HTTPS; they hold no
# secrets and set no cookies.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Content-Security-Policy on every page (django-csp): scripts, styles, sockets and frames from
# the site itself only; the pages have no inline script or style, so neither is allowed.
# 'self' covers the page's own ws:/wss: origin (CSP Level 3). No page may be framed except the
# visitor chat page, which the widget frames (chat/views.py widens frame-ancestors there).
# data: images: the admin's and Swagger UI's stylesheets draw their icons as data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

# Prometheus metrics at GET /metrics (helpdesk/platform/metrics.py): answered to clients from
# METRICS_ALLOWED_IPS (addresses or networks, by the TRUSTED_PROXY_COUNT rule; empty: none) or
# presenting `Authorization: Bearer <METRICS_TOKEN>` (unset: no token is accepted); anyone else
# gets 404. With several processes set PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself).
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 characters (or unset).")

# Redis: channel layer, Celery broker, cache and counters. TCP (redis://host:port/db, rediss://)
# or a unix socket (unix:///path/to/redis.sock?db=0, as `make run`'s embedded Redis).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# The shared cache (API rate limit counters) lives in Redis too, apart from other keys.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CHANNEL_PREFIX", "helpdesk") + "-cache",
    }
}
# Requests per user (token or session) and per client address on the public visitor endpoint;
# empty disables a limit. Over the limit: 429 with Retry-After.
API_RATE_USER = env_rate("API_RATE_USER", "3000/min")
API_RATE_VISITOR = env_rate("API_RATE_VISITOR", "300/min")
# Chat starts per client address and per visitor e-mail (chat/throttles.py), and chats one
# address or one e-mail may have waiting at once (chat.services.starting.chat_start); every start rings
# agents and may become a ticket. Empty (rates) or 0 (waiting) disables one.
CHAT_START_RATE_IP = env_rate("CHAT_START_RATE_IP", "5/min")
CHAT_START_RATE_EMAIL = env_rate("CHAT_START_RATE_EMAIL", "5/min")
CHAT_MAX_WAITING_PER_IP = env_int("CHAT_MAX_WAITING_PER_IP", 3)
CHAT_MAX_WAITING_PER_EMAIL = env_int("CHAT_MAX_WAITING_PER_EMAIL", 2)
# Transcript e-mails a client address may ask for (each chat's goes out once; this bounds the mail
# one address can have sent to addresses visitors type in).
TRANSCRIPT_EMAIL_RATE_IP = env_rate("TRANSCRIPT_EMAIL_RATE_IP", "10/hour")
# Websocket `message.send` and `typing` frames per visitor chat, per agent (all their sockets)
# and per client address (chat/consumers/throttle.py); empty disables a limit. Clients send `typing`
# at most every 2 s, so a person chatting stays far below these.
WS_RATE_VISITOR = env_rate("WS_RATE_VISITOR", "120/min")
WS_RATE_AGENT = env_rate("WS_RATE_AGENT", "600/min")
WS_RATE_IP = env_rate("WS_RATE_IP", "3000/min")
# Every client frame, whatever its type (valid or not), per visitor chat, per agent and per
# client address: larger than the message limits, room for accepts, ends and the odd mistake.
WS_FRAME_RATE_VISITOR = env_rate("WS_FRAME_RATE_VISITOR", "180/min")
WS_FRAME_RATE_AGENT = env_rate("WS_FRAME_RATE_AGENT", "900/min")
WS_FRAME_RATE_IP = env_rate("WS_FRAME_RATE_IP", "4500/min")
# Open websockets at once per visitor token, per agent and per client address, over all server
# processes (chat/consumers/sockets.py); 0 disables a cap. Many agents may share an office's address.
# Each process vouches for its sockets every WS_SOCKET_HEARTBEAT_SECONDS; a dead process's
# sockets stop counting after three of those.
WS_MAX_SOCKETS_PER_VISITOR = env_int("WS_MAX_SOCKETS_PER_VISITOR", 5)
WS_MAX_SOCKETS_PER_AGENT = env_int("WS_MAX_SOCKETS_PER_AGENT", 20)
WS_MAX_SOCKETS_PER_IP = env_int("WS_MAX_SOCKETS_PER_IP", 200)
WS_SOCKET_HEARTBEAT_SECONDS = env_int("WS_SOCKET_HEARTBEAT_SECONDS", 30)
# Presence (chat/services/presence.py): each process marks its agent sockets as alive in the
# database every AGENT_PRESENCE_HEARTBEAT_SECONDS; an Online agent with no socket left (closed,
# or on a process that stopped vouching for three heartbeats) is "away" after
# AGENT_AWAY_AFTER_SECONDS, and no chat is offered to them until they connect again.
AGENT_AWAY_AFTER_SECONDS = env_int("AGENT_AWAY_AFTER_SECONDS", 60)
AGENT_PRESENCE_HEARTBEAT_SECONDS = env_int("AGENT_PRESENCE_HEARTBEAT_SECONDS", 20)

# The pub/sub layer keeps one subscriber connection per process and publishes over a small
# pool; the pool is capped deliberately instead of redis-py's default of 100 connections.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "max_connections": env_int("CHANNEL_REDIS_MAX_CONNECTIONS", 20)}],
            "prefix": os.environ.get("CHANNEL_PREFIX", "helpdesk"),
        },
    }
}

# Celery. Deadlines live in the database; countdown tasks are the fast path and the beat
# sweep is the guarantee. The visibility timeout must exceed the longest countdown
# (an end is scheduled at most 3600 s ahead), or Redis redelivers the task early.
CHAT_MAX_END_DELAY_SECONDS = 3600
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# LOG_FORMAT=json (below): the worker logs through LOGGING too, instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = os.environ.get("LOG_FORMAT", "text").strip().lower() != "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker retries a lost broker for as long as it takes (Celery gives up after 100 tries by default).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * CHAT_MAX_END_DELAY_SECONDS),
    "global_keyprefix": os.environ.get("CELERY_KEY_PREFIX", ""),
}
CELERY_TIMEZONE = "UTC"
CHAT_SWEEP_INTERVAL_SECONDS = env_int("CHAT_SWEEP_INTERVAL_SECONDS", 5)
CELERY_BEAT_SCHEDULE = {
    "chat-sweep-overdue": {
        "task": "chat.tasks.chat_sweep_overdue",
        "schedule": float(CHAT_SWEEP_INTERVAL_SECONDS),
    },
    "webhooks-sweep": {
        "task": "helpdesk.tasks.webhooks_sweep",
        "schedule": float(CHAT_SWEEP_INTERVAL_SECONDS),
    },
}

# Webhooks: loopback and private addresses are refused unless allowed (tests receive on 127.0.0.1).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE")
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)

# Chat behaviour.
CHAT_MISSED_AFTER_SECONDS = env_int("CHAT_MISSED_AFTER_SECONDS", 120)
# When the last agent who could take a department's waiting chats goes Offline, signs out or goes
# away, those chats become Missed Chats tickets at once (missed_reason "no_agents") and their
# visitors are told, instead of waiting for CHAT_MISSED_AFTER_SECONDS (chat/services/staffing.py).
CHAT_MISS_WHEN_UNSTAFFED = env_bool("CHAT_MISS_WHEN_UNSTAFFED", True)
CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 10000)
# A visitor token keeps opening its chat (transcript, final state) this long after the chat ended
# or was missed, so a reload or a reconnect right at the end still works; then it opens nothing.
VISITOR_TOKEN_TTL_AFTER_END_SECONDS = env_int("VISITOR_TOKEN_TTL_AFTER_END_SECONDS", 3600)
# How long a transfer or an invitation waits for an answer before it lapses.
TRANSFER_TIMEOUT_SECONDS = env_int("TRANSFER_TIMEOUT_SECONDS", 60)
# In departments routed one agent at a time (round robin, least busy): how long an offer waits
# for Accept before the chat moves to the next agent.
OFFER_TIMEOUT_SECONDS = env_int("OFFER_TIMEOUT_SECONDS", 30)
WIDGET_ALLOWED_ORIGINS = env_list("WIDGET_ALLOWED_ORIGINS")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
GEOIP_PATH = os.environ.get("GEOIP_PATH") or None
DEFAULT_AGENT_MAX_CHATS = env_int("DEFAULT_AGENT_MAX_CHATS", 5)

# E-mail (replies to missed chats): printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "help desk <support@localhost>")
# Password reset (/accounts/password_reset/) mails a link that takes the account over, so it is
# offered only through a backend that delivers mail: on by default unless EMAIL_BACKEND is one of
# Django's local ones (console, file, in-memory, dummy); never through one that prints or files
# the mail. Requests are limited per client address and per e-mail address.
PRINTING_EMAIL_BACKENDS = {f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "filebased")}
_LOCAL_EMAIL_BACKENDS = {f"django.core.mail.backends.{name}.EmailBackend" for name in ("locmem", "dummy")}
_LOCAL_EMAIL_BACKENDS |= PRINTING_EMAIL_BACKENDS
PASSWORD_RESET_ENABLED = env_bool("PASSWORD_RESET_ENABLED", EMAIL_BACKEND not in _LOCAL_EMAIL_BACKENDS)
if PASSWORD_RESET_ENABLED and EMAIL_BACKEND in PRINTING_EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"PASSWORD_RESET_ENABLED with EMAIL_BACKEND={EMAIL_BACKEND} would write reset links where others read them."
    )
PASSWORD_RESET_RATE_IP = env_rate("PASSWORD_RESET_RATE_IP", "5/hour")
PASSWORD_RESET_RATE_EMAIL = env_rate("PASSWORD_RESET_RATE_EMAIL", "3/hour")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.agents.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.platform.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["helpdesk.platform.api_errors.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.platform.throttles.TokenRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk live chat API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own (FooRequest): what a client may send is not
    # what it gets back (read-only fields, constraints on input only).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk.platform.schema.add_error_responses",
        "helpdesk.platform.schema.add_id_ranges",
        "helpdesk.platform.schema.add_request_body_rules",
    ],
    # Swagger UI's assets are served by the app itself, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ChatStatusEnum": "chat.models.Chat.Status",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "AgentChatStatusEnum": "helpdesk.models.Agent.ChatStatus",
        "HandoverStatusEnum": "chat.models.Handover.Status",
    },
}

# LOG_FORMAT=json: one JSON object per line (helpdesk/platform/logs.py); text (the default) stays
# readable. Either way request_id, chat_id and agent_id follow where known.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower() or "text"
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "helpdesk.platform.logs.ContextFilter"}},
    "formatters": {
        "text": {"()": "helpdesk.platform.logs.TextFormatter"},
        "json": {"()": "helpdesk.platform.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}},
}
