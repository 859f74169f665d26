"""Settings, read once from the environment (and a `.env` file beside the process)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production


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
    jobs: JobSettings = field(default_factory=JobSettings)
    timeouts: TimeoutSettings = field(default_factory=TimeoutSettings)
    # A session ends after this long without a request, and in any case this long after sign-in.
    session_max_age: int = 8 * 3600
    session_lifetime: int = 12 * 3600
    token_max_age: int = 3600
    invitation_max_age: int = 7 * 24 * 3600
    # Requests one web process works on at once; past it, the excess is refused with 503 at once.
    concurrent_requests: int = 32
    sql_echo: bool = False
    # The bearer token Prometheus sends to read /metrics; unset, there is no /metrics.
    metrics_token: str | None = None
    # "json" (one object a line, for a log store) or "text"; json in production unless set.
    log_format: str = "text"

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
