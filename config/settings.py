"""Backroom settings: one module, driven by the environment.

Every deployment differs only by environment variables (optionally read from a `.env`
file beside `manage.py`; real environment variables win). The embedded defaults run the
whole system without any server: SQLite under `var/`, e-mail written to `var/mail/`,
Celery on kombu's `filesystem://` transport under `var/celery/`. `.env.example` lists
every variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("BACKROOM_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: put a long random value in the "
            "environment or in .env (see .env.example)."
        )
    SECRET_KEY = "insecure-development-key-only-for-DEBUG"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "django_filters",
    "django_htmx",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
LOCAL_APPS = [
    "catalog",
    "inventory",
    "orders",
    "billing",
    "shipping",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers locked-out logins itself.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "catalog.context_processors.store",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
# SQLite is the embedded default. Several processes (web server and Celery worker) write
# to it at once, so it runs in WAL mode with IMMEDIATE transactions: a deferred
# transaction that upgrades to a write lock fails at once with "database is locked",
# whereas BEGIN IMMEDIATE waits for the lock up to the busy timeout.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'backroom.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------
# Cache, Celery
# ------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Tasks are short; a task that is not acknowledged within an hour is redelivered.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # Shared by all processes on this machine (web, worker) without a server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
    for _sub in ("queue", "processed", "results", "control"):
        (VAR_DIR / "celery" / _sub).mkdir(parents=True, exist_ok=True)

CELERY_TIMEZONE = env.str("TIME_ZONE", default="Europe/Berlin")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One bad document must not hang or bloat a worker: hard and soft limits per task, and a
# child process replaced once it holds more than this many KiB (WeasyPrint peaks ~200 MiB).
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 250_000
# Rendering one invoice PDF (Factur-X included) takes well under a second, 200 lines a few:
# a render or e-mail task still running after a minute is stuck on a bad document.
CELERY_TASK_ANNOTATIONS = {
    "billing.tasks.render_invoice_pdf": {"time_limit": 90, "soft_time_limit": 60},
    "billing.tasks.send_invoice_email": {"time_limit": 120, "soft_time_limit": 90},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic work; each entry names its task and the crontab.guru reading of its schedule.
CELERY_BEAT_SCHEDULE: dict = {
    # https://crontab.guru/#0_7_*_*_* — "At 07:00" every day (CELERY_TIMEZONE).
    "inventory-low-stock-digest": {
        "task": "inventory.tasks.send_low_stock_digest",
        "schedule": crontab(minute=0, hour=7),
    },
    # https://crontab.guru/#*/5_*_*_*_* — "At every 5th minute": invoice e-mails due but never sent.
    "billing-resend-overdue-invoice-emails": {
        "task": "billing.tasks.resend_overdue_invoice_emails",
        "schedule": crontab(minute="*/5"),
    },
    # https://crontab.guru/#*/5_*_*_*_* — "At every 5th minute": bulk invoice jobs still queued (broker down at commit).
    "billing-requeue-lost-bulk-jobs": {
        "task": "billing.tasks.requeue_lost_bulk_jobs",
        "schedule": crontab(minute="*/5"),
    },
    # https://crontab.guru/#15_*_*_*_* — "At minute 15" every hour: payment reminders, then cancellation.
    "billing-process-unpaid-orders": {
        "task": "billing.tasks.process_unpaid_orders",
        "schedule": crontab(minute=15),
    },
    # https://crontab.guru/#*/5_*_*_*_* — "At every 5th minute": abandoned-cart reminders that are due.
    "orders-send-cart-reminders": {
        "task": "orders.tasks.send_cart_reminders",
        "schedule": crontab(minute="*/5"),
    },
    # https://crontab.guru/#*/5_*_*_*_* — "At every 5th minute": order e-mails due but never sent (broker down at commit).
    "orders-send-due-order-emails": {
        "task": "orders.tasks.send_due_order_emails",
        "schedule": crontab(minute="*/5"),
    },
    # https://crontab.guru/#*/10_*_*_*_* — "At every 10th minute": the dashboard's closed days summed into the cache.
    "orders-warm-dashboard": {
        "task": "orders.tasks.warm_dashboard",
        "schedule": crontab(minute="*/10"),
    },
    # https://crontab.guru/#30_3_*_*_* — "At 03:30": API Idempotency-Key records past their keeping window.
    "orders-purge-idempotency-keys": {
        "task": "orders.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=30, hour=3),
    },
    # https://crontab.guru/#0_18_*_*_* — "At 18:00": the day's CSV manifest for each manifest carrier.
    "shipping-daily-manifests": {
        "task": "shipping.tasks.write_daily_manifests",
        "schedule": crontab(minute=0, hour=18),
    },
    # https://crontab.guru/#*/5_*_*_*_* — "At every 5th minute": shipment e-mails, carrier hand-offs and order
    # imports that a broker down at commit left unpublished.
    "shipping-publish-due-work": {
        "task": "shipping.tasks.publish_due_shipping_work",
        "schedule": crontab(minute="*/5"),
    },
    # https://crontab.guru/#*_*_*_*_* — "At every minute": outgoing webhook deliveries due for (another) attempt.
    "catalog-send-due-webhook-deliveries": {
        "task": "catalog.tasks.send_due_webhook_deliveries",
        "schedule": crontab(minute="*"),
    },
}

# ------------------------------------------------------------------------------
# E-mail
# ------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Backroom <shop@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20

# ------------------------------------------------------------------------------
# Authentication, security
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:dashboard"
LOGOUT_REDIRECT_URL = "login"

# django-axes: five failed logins per user and address lock them out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# A deployment behind a plain-HTTP proxy turns these off one by one.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# django-csp 4: everything is served from our own origin (static files are vendored).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# ------------------------------------------------------------------------------
# JSON API (Django REST framework, drf-spectacular): see docs/architecture.md "The API"
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orders.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Backroom API",
    "DESCRIPTION": "Orders from every source: place, read, pay, ship and track orders; stock and catalogue reads.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    # Swagger UI from the vendored drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Idempotency-Key records are kept at least this long (the IETF draft asks for a stated window).
API_IDEMPOTENCY_KEEP_HOURS = env.int("API_IDEMPOTENCY_KEEP_HOURS", default=48)

# ------------------------------------------------------------------------------
# Internationalisation, store
# ------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("de", _("German")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STORE_NAME = env.str("STORE_NAME", default="Backroom Demo Store")
STORE_CURRENCY = env.str("STORE_CURRENCY", default="EUR").upper()
if len(STORE_CURRENCY) != 3 or not STORE_CURRENCY.isalpha():
    raise ImproperlyConfigured(
        f"STORE_CURRENCY must be a three-letter ISO 4217 code such as EUR, not {STORE_CURRENCY!r}."
    )
# Where customers reach the public pages (tracking links in e-mails).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Requests per minute and client address to the public tracking page (guessing codes is futile).
TRACKING_RATE_LIMIT = env.int("TRACKING_RATE_LIMIT", default=30)
# Shared secret of the online payment provider's signed confirmation webhook; empty refuses all.
PAYMENT_WEBHOOK_SECRET = env.str("PAYMENT_WEBHOOK_SECRET", default="")
# The dashboard's "needs attention": unpaid after this many days, paid but unshipped after that many.
BACKROOM_UNPAID_ATTENTION_DAYS = env.int("BACKROOM_UNPAID_ATTENTION_DAYS", default=7)
BACKROOM_UNSHIPPED_ATTENTION_DAYS = env.int("BACKROOM_UNSHIPPED_ATTENTION_DAYS", default=2)
# Outgoing webhooks: seconds to wait for an endpoint's answer before the attempt counts as failed.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Order numbers are short and read out on the phone: the first order is number 1001.
ORDER_NUMBER_START = env.int("ORDER_NUMBER_START", default=1000)

# ------------------------------------------------------------------------------
# Static and media files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# ------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every render step at INFO and fontTools every subset: noise in a worker's log.
    "loggers": {name: {"level": "WARNING"} for name in ("axes", "weasyprint", "fontTools")},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
