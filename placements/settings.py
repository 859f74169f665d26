"""Settings, read once from the environment (and a `.env` file beside the process)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production
# The roles people have (placements.accounts.models.Role), named here so settings import nothing.
ROLES = frozenset({"coordinator", "school_staff", "employer_user"})


class SettingsError(RuntimeError):
    """The environment describes a service that must not start."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    use_tls: bool = True
    sender: str = "Placements <placements@localhost>"

    @property
    def configured(self) -> bool:
        return bool(self.host)


# GOV.UK Notify's API; tests point NOTIFY_BASE_URL at a local stand-in.
NOTIFY_URL = "https://api.notifications.service.gov.uk"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Notify's API keys are `{key name}-{service id}-{secret}`, both of the last two UUIDs.
_NOTIFY_KEY = re.compile(rf"^.+-{_UUID}-{_UUID}$")
_TEMPLATE_ID = re.compile(rf"^{_UUID}$")


@dataclass(frozen=True)
class NotifySettings:
    """GOV.UK Notify, which sends instead of SMTP when an API key is set. Notify sends only its own
    templates, so the council makes two: an email whose subject is ((subject)) and whose body is
    ((body)), and a text message whose body is ((body)); every message fills one of them in."""

    api_key: str | None = None
    base_url: str = NOTIFY_URL
    email_template_id: str | None = None
    # Without it, text messages stay in the outbox.
    sms_template_id: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    def check(self) -> None:
        if not self.configured:
            return
        if not _NOTIFY_KEY.match(self.api_key or ""):
            raise SettingsError(
                "NOTIFY_API_KEY must be the whole key Notify shows once: name-service id-secret"
            )
        if not self.email_template_id:
            raise SettingsError(
                "NOTIFY_API_KEY is set but NOTIFY_EMAIL_TEMPLATE_ID is not: Notify sends only templates"
            )
        for name, value in (
            ("NOTIFY_EMAIL_TEMPLATE_ID", self.email_template_id),
            ("NOTIFY_SMS_TEMPLATE_ID", self.sms_template_id),
        ):
            if value is not None and not _TEMPLATE_ID.match(value):
                raise SettingsError(f"{name} must be the ID of a template in Notify (a UUID)")


@dataclass(frozen=True)
class SsoProvider:
    """An identity provider people may sign in with (OpenID Connect): Microsoft Entra ID, Google
    Workspace or any issuer. It signs in only people with an account already, whose verified
    email address is at one of `domains`."""

    name: str  # in the service's addresses: /sign-in/sso/<name>
    label: str  # on the button: "Sign in with <label>"
    issuer: str
    client_id: str
    client_secret: str
    domains: frozenset[str]
    # The provider makes everyone use MFA (its ID tokens need not say so): no second step here.
    enforces_mfa: bool = False


SSO_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
LOCAL_HOSTS = ("http://localhost:", "http://127.0.0.1:")


def _sso_providers(env: dict[str, str] | os._Environ[str]) -> tuple[SsoProvider, ...]:
    """SSO_PROVIDERS=entra,google, then SSO_ENTRA_ISSUER, SSO_ENTRA_CLIENT_ID, SSO_ENTRA_CLIENT_SECRET,
    SSO_ENTRA_DOMAINS (comma-separated), SSO_ENTRA_LABEL and SSO_ENTRA_ENFORCES_MFA for each."""
    providers = []
    for name in sorted(_names(env.get("SSO_PROVIDERS"), default="")):
        if not SSO_NAME.match(name):
            raise SettingsError(f"SSO_PROVIDERS: {name!r} must be lower-case letters, digits and dashes")
        prefix = f"SSO_{name.upper().replace('-', '_')}_"
        missing = [
            part for part in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "DOMAINS") if not env.get(prefix + part)
        ]
        if missing:
            raise SettingsError(
                f"single sign-on with {name!r} needs {', '.join(prefix + part for part in missing)}"
            )
        issuer = env[prefix + "ISSUER"].strip().rstrip("/")
        if not issuer.startswith(("https://", *LOCAL_HOSTS)):
            raise SettingsError(f"{prefix}ISSUER must be an https:// address")
        providers.append(
            SsoProvider(
                name=name,
                label=env.get(prefix + "LABEL") or name.title(),
                issuer=issuer,
                client_id=env[prefix + "CLIENT_ID"].strip(),
                client_secret=env[prefix + "CLIENT_SECRET"].strip(),
                domains=_names(env[prefix + "DOMAINS"], default=""),
                enforces_mfa=_flag(env.get(prefix + "ENFORCES_MFA")),
            )
        )
    return tuple(providers)


DEFAULT_PORT = 8000


def local_base_url(port: int) -> str:
    """The address of a service served on this machine, for links when BASE_URL is not set."""
    return f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class JobSettings:
    """How jobs are watched. A running job beats every `heartbeat` seconds; one silent for `stale`
    seconds is taken to have lost its worker. Every `sweep` seconds a sweeper re-queues those and
    any job left queued for `requeue` seconds. A job is tried at most `attempts` times."""

    heartbeat: float = 10.0
    stale: float = 60.0
    sweep: float = 15.0
    requeue: float = 60.0
    attempts: int = 5


@dataclass(frozen=True)
class TimeoutSettings:
    """Seconds before a dependency that does not answer is given up on, so nobody waits for ever."""

    connect: float = 5.0
    statement: float = 30.0
    health: float = 2.0


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'placements.sqlite3'}"
    redis_url: str | None = None
    queue_name: str = "placements:queue"
    secret_key: str = DEFAULT_SECRET
    environment: str = "development"
    port: int = DEFAULT_PORT
    # Where people reach the service: every link in an email starts with it.
    base_url: str = local_base_url(DEFAULT_PORT)
    # Who runs the programme and how people reach them: the privacy notice, the accessibility
    # statement and the transparency record name them.
    organisation: str = "The council"
    contact_email: str = "placements@localhost"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    timeouts: TimeoutSettings = field(default_factory=TimeoutSettings)
    # A session ends after this long without a request, and in any case this long after sign-in.
    session_max_age: int = 8 * 3600
    session_lifetime: int = 12 * 3600
    token_max_age: int = 3600
    invitation_max_age: int = 7 * 24 * 3600
    # Requests one web process works on at once; past it, the excess is refused with 503 (web/capacity.py).
    concurrent_requests: int = 24
    sql_echo: bool = False
    # The bearer token Prometheus sends to read /metrics; unset, there is no /metrics.
    metrics_token: str | None = None
    # "json" (one object a line, for a log store) or "text"; json in production unless set.
    log_format: str = "text"
    # The roles that must use two-step sign-in (an authenticator app's codes) before using anything:
    # coordinators in production unless set; offered to everyone else.
    two_step_required_for: frozenset[str] = frozenset()
    # Identity providers staff may sign in with, besides their password (none unless set).
    sso_providers: tuple[SsoProvider, ...] = ()

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.production or self.base_url.startswith("https://")

    def check(self) -> None:
        """Refuse settings that would make a production service unsafe."""
        if self.environment not in {"development", "production"}:
            raise SettingsError("PLACEMENTS_ENV must be 'development' or 'production'")
        if self.log_format not in {"json", "text"}:
            raise SettingsError("LOG_FORMAT must be 'json' or 'text'")
        self.notify.check()
        if unknown := self.two_step_required_for - ROLES:
            raise SettingsError(
                f"TWO_STEP_REQUIRED_FOR names roles that do not exist: {', '.join(sorted(unknown))}"
                f" (use {', '.join(sorted(ROLES))})"
            )
        if self.production and (self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32):
            raise SettingsError("production needs SECRET_KEY set to a random value of at least 32 characters")


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgres://` and `sqlite:///` spellings and pick the async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _positive(env: dict[str, str] | os._Environ[str], name: str, default: float, kind: type = float) -> Any:
    """A number above 0 and below 86,400 (seconds, or a count when `kind` is int)."""
    value = env.get(name)
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(
            f"{name} must be a {'whole ' if kind is int else ''}number, not {value!r}"
        ) from None
    if not 0 < number < 86_400:
        raise SettingsError(f"{name} must be more than 0 and less than 86400")
    return number


def _names(value: str | None, *, default: str) -> frozenset[str]:
    """A comma-separated list, lower case; `none` (or nothing) is the empty list."""
    listed = default if value is None else value
    names = {name.strip().lower() for name in listed.split(",")}
    return frozenset(names - {"", "none"})


def settings_from_env(env: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    defaults = Settings()
    jobs, timeouts = JobSettings(), TimeoutSettings()
    smtp = SmtpSettings(
        host=env.get("SMTP_HOST") or None,
        port=int(env.get("SMTP_PORT") or 587),
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
        use_tls=_flag(env.get("SMTP_TLS"), default=True),
        sender=env.get("SMTP_FROM") or SmtpSettings.sender,
    )
    port = int(env.get("PORT") or DEFAULT_PORT)
    environment = (env.get("PLACEMENTS_ENV") or "development").strip().lower()
    return Settings(
        database_url=normalise_database_url(env.get("DATABASE_URL") or defaults.database_url),
        redis_url=env.get("REDIS_URL") or None,
        queue_name=env.get("QUEUE_NAME") or defaults.queue_name,
        secret_key=env.get("SECRET_KEY") or DEFAULT_SECRET,
        environment=environment,
        port=port,
        base_url=(env.get("BASE_URL") or local_base_url(port)).rstrip("/"),
        organisation=env.get("ORGANISATION_NAME") or defaults.organisation,
        contact_email=env.get("CONTACT_EMAIL") or defaults.contact_email,
        session_lifetime=_positive(env, "SESSION_LIFETIME_HOURS", 12, int) * 3600,
        concurrent_requests=_positive(env, "CONCURRENT_REQUESTS", defaults.concurrent_requests, int),
        smtp=smtp,
        notify=NotifySettings(
            api_key=(env.get("NOTIFY_API_KEY") or "").strip() or None,
            base_url=(env.get("NOTIFY_BASE_URL") or NOTIFY_URL).rstrip("/"),
            email_template_id=(env.get("NOTIFY_EMAIL_TEMPLATE_ID") or "").strip().lower() or None,
            sms_template_id=(env.get("NOTIFY_SMS_TEMPLATE_ID") or "").strip().lower() or None,
        ),
        jobs=JobSettings(
            heartbeat=_positive(env, "JOB_HEARTBEAT_SECONDS", jobs.heartbeat),
            stale=_positive(env, "JOB_STALE_SECONDS", jobs.stale),
            sweep=_positive(env, "JOB_SWEEP_SECONDS", jobs.sweep),
            requeue=_positive(env, "JOB_REQUEUE_SECONDS", jobs.requeue),
            attempts=_positive(env, "JOB_ATTEMPTS", jobs.attempts, int),
        ),
        timeouts=TimeoutSettings(
            connect=_positive(env, "DATABASE_CONNECT_TIMEOUT", timeouts.connect),
            statement=_positive(env, "DATABASE_STATEMENT_TIMEOUT", timeouts.statement),
            health=_positive(env, "HEALTH_TIMEOUT", timeouts.health),
        ),
        sql_echo=_flag(env.get("SQL_ECHO")),
        metrics_token=env.get("METRICS_TOKEN") or None,
        sso_providers=_sso_providers(env),
        two_step_required_for=_names(
            env.get("TWO_STEP_REQUIRED_FOR"), default="coordinator" if environment == "production" else ""
        ),
        log_format=(env.get("LOG_FORMAT") or ("json" if environment == "production" else "text"))
        .strip()
        .lower(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    load_dotenv(Path.cwd() / ".env", override=False)
    settings = settings_from_env()
    settings.check()
    return settings
