"""Settings: one pydantic-settings object, read from the environment once at each entry point.

The entry points (the CLI's `main`, the Dagster definitions and instance, the API through the CLI)
call `load_settings()` and pass the object down; storage, providers and the engine take values,
never the environment. Every setting is a field here, so a bad value stops the command at start-up
with a `ConfigError` that names the variable (and never shows the value of a URL that may hold a
password), instead of failing every run later. Each field's `description` is its documentation: the
manual's configuration reference is generated from them (`reference.py`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .domain.dates import DEFAULT_TIMEZONE
from .domain.tiers import TierPolicy
from .errors import EXIT_USAGE, HutAvailabilityError
from .providers.registry import PROVIDERS
from .refresh import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    from .storage.database import Database

DEFAULT_HOME = ".hut-availability"
DEFAULT_HRS_BASE_URL = PROVIDERS["hrs"].default_base_url
DEFAULT_HUETTEN_HOLIDAY_BASE_URL = PROVIDERS["huetten-holiday"].default_base_url
DEFAULT_TMB_BASE_URL = PROVIDERS["tmb"].default_base_url
DEFAULT_FFCAM_BASE_URL = PROVIDERS["ffcam"].default_base_url
DEFAULT_REQUEST_INTERVAL = 1.0
DEFAULT_HUTS_PER_RUN = 300
DEFAULT_EVENT_BATCH_SIZE = 1000
DEFAULT_HISTORY_DAYS = 400
DEFAULT_MAP_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_MAP_TILES_ATTRIBUTION = "© OpenStreetMap contributors"
MAP_TILES_OFF = "none"  # HUT_AVAILABILITY_MAP_TILES=none: no tiles (an empty variable counts as unset)
DEFAULT_CODE_SERVER_HOST = "127.0.0.1"
DEFAULT_CODE_SERVER_PORT = 4000
DEMO_HOME = "demo"  # `dev --simulator` keeps its own home: $HUT_AVAILABILITY_HOME/demo
SIMULATOR_URL_FILE = "simulator.url"  # in the demo home: its simulator's address, kept across restarts


class ConfigError(HutAvailabilityError, ValueError):
    """A setting is missing or malformed; the message names the setting (and the bad value, unless
    it may hold a password)."""

    exit_status = EXIT_USAGE


class Settings(BaseSettings):
    """Everything configurable; each field is read from the environment variable it is aliased to
    (empty counts as unset). Frozen and hashable: caches key on it."""

    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, env_ignore_empty=True, extra="ignore")
    # Variables whose value is never shown in an error: they may carry a password.
    SECRET_VARIABLES: ClassVar[frozenset[str]] = frozenset(
        {"DATABASE_URL", "DAGSTER_POSTGRES_URL", "HUT_AVAILABILITY_SMTP_URL"}
    )

    home: Path = Field(
        Path(DEFAULT_HOME),
        validation_alias="HUT_AVAILABILITY_HOME",
        description=(
            "Where the embedded PostgreSQL keeps its data, Dagster its home and `dev` its logs; reused "
            "between runs. The demo (`dev --simulator`) keeps its own home in its `demo` subdirectory."
        ),
    )
    # None → the embedded server under `home`
    database_url: str | None = Field(
        None,
        validation_alias="DATABASE_URL",
        description=(
            "The data's PostgreSQL (14 or newer), e.g. `postgresql://user:pw@host:5432/db` or the "
            "socket form `postgresql://user@/db?host=/run/postgresql`. Unset: the embedded server under"
            " the home, started on first use. Its value is never shown (it may hold a password)."
        ),
        repr=False,
    )
    hrs_base_url: str = Field(
        DEFAULT_HRS_BASE_URL,
        validation_alias="HRS_BASE_URL",
        description="The hut-reservation.org site, or the simulator (e.g. `http://127.0.0.1:8099`).",
    )
    huetten_holiday_base_url: str = Field(
        DEFAULT_HUETTEN_HOLIDAY_BASE_URL,
        validation_alias="HUETTEN_HOLIDAY_BASE_URL",
        description="The Hütten-Holiday site, or the simulator (which serves both sites on one address).",
    )
    tmb_base_url: str = Field(
        DEFAULT_TMB_BASE_URL,
        validation_alias="TMB_BASE_URL",
        description="Root of the Tour du Mont Blanc refuges' booking backend (or the simulator).",
    )
    ffcam_base_url: str = Field(
        DEFAULT_FFCAM_BASE_URL,
        validation_alias="FFCAM_BASE_URL",
        description="Root of the French Alpine Club's central booking (or the simulator).",
    )
    timezone: str = Field(
        DEFAULT_TIMEZONE,
        validation_alias="HUT_AVAILABILITY_TIMEZONE",
        description=(
            'The IANA time zone that says what "today" is for the priority selection and the date words'
            " (`today`, `tomorrow`, `weekend`)."
        ),
    )
    batch_size: int = Field(
        DEFAULT_BATCH_SIZE,
        ge=1,
        validation_alias="HUT_AVAILABILITY_BATCH_SIZE",
        description="Huts per database transaction: a run killed mid-way loses at most the batch in flight.",
    )
    request_interval: float = Field(
        DEFAULT_REQUEST_INTERVAL,
        ge=0,
        validation_alias="HUT_AVAILABILITY_REQUEST_INTERVAL",
        description=(
            "Seconds between the starts of two requests to one site, per provider, in Dagster runs and "
            "`update` (whose `--request-interval` overrides it)."
        ),
    )
    huts_per_run: int = Field(
        DEFAULT_HUTS_PER_RUN,
        ge=1,
        validation_alias="HUT_AVAILABILITY_HUTS_PER_RUN",
        description="Huts per Dagster refresh run (and per run of a UI backfill).",
    )
    # None → `home`/dagster
    dagster_home: Path | None = Field(
        None,
        validation_alias="DAGSTER_HOME",
        description=(
            "Dagster's home (the `dagster.yaml` its processes read). Unset: `dagster` under the home. A"
            " relative path is made absolute."
        ),
    )
    # None → a database `dagster` beside the data
    dagster_postgres_url: str | None = Field(
        None,
        validation_alias="DAGSTER_POSTGRES_URL",
        description=(
            "Dagster's own storage (runs, events, schedules), a `postgresql+psycopg2://` URL. Unset: a "
            "database `dagster` on the data's server, created on first start (needs the CREATEDB "
            "privilege). Its value is never shown."
        ),
        repr=False,
    )
    dagster_event_batch_size: int = Field(
        DEFAULT_EVENT_BATCH_SIZE,
        ge=0,
        validation_alias="DAGSTER_EVENT_BATCH_SIZE",
        description=(
            "Dagster's own opt-in to write a run's events in batches of this many (0: one by one). In"
            " Dagster 1.13 it batches the per-partition events of a run over a range of partitions (a UI"
            " backfill of the hut assets). Given to the Dagster processes `dev` and `deploy` start, whose"
            " run workers inherit it, and written to `./.env` and by `deploy env`."
        ),
    )
    # where `deploy code-server` listens and where the webserver and daemon find it (deploy/workspace.yaml)
    code_server_host: str = Field(
        DEFAULT_CODE_SERVER_HOST,
        min_length=1,
        validation_alias="HUT_AVAILABILITY_CODE_SERVER_HOST",
        description=(
            "Where `deploy code-server` listens and where the webserver and the daemon find it "
            "(`deploy/workspace.yaml`)."
        ),
    )
    code_server_port: int = Field(
        DEFAULT_CODE_SERVER_PORT,
        ge=1,
        le=65535,
        validation_alias="HUT_AVAILABILITY_CODE_SERVER_PORT",
        description="The code server's port (see `HUT_AVAILABILITY_CODE_SERVER_HOST`).",
    )
    tier_horizon_days: int = Field(
        14,
        ge=1,
        validation_alias="HUT_AVAILABILITY_TIER_HORIZON_DAYS",
        description="Days ahead whose occupancy decides a hut's tier (how often it is refreshed).",
    )
    tier_high_threshold: float = Field(
        75.0,
        ge=0,
        le=100,
        validation_alias="HUT_AVAILABILITY_TIER_HIGH_THRESHOLD",
        description="Occupancy percent above which a hut is in the high tier.",
    )
    tier_low_threshold: float = Field(
        25.0,
        ge=0,
        le=100,
        validation_alias="HUT_AVAILABILITY_TIER_LOW_THRESHOLD",
        description=(
            "Occupancy percent above which a hut is in the medium tier (at or below it: low). At most "
            "the high threshold."
        ),
    )
    tier_high_minutes: float = Field(
        30,
        gt=0,
        validation_alias="HUT_AVAILABILITY_TIER_HIGH_MINUTES",
        description="Refresh interval of a high-tier hut, in minutes.",
    )
    tier_medium_minutes: float = Field(
        180,
        gt=0,
        validation_alias="HUT_AVAILABILITY_TIER_MEDIUM_MINUTES",
        description="Refresh interval of a medium-tier hut, in minutes.",
    )
    tier_low_minutes: float = Field(
        1440,
        gt=0,
        validation_alias="HUT_AVAILABILITY_TIER_LOW_MINUTES",
        description="Refresh interval of a low-tier hut, in minutes.",
    )
    tier_unknown_minutes: float = Field(
        10080,
        gt=0,
        validation_alias="HUT_AVAILABILITY_TIER_UNKNOWN_MINUTES",
        description="Refresh interval of a hut with no known occupancy in the horizon, in minutes.",
    )
    retry_base_minutes: float = Field(
        30,
        gt=0,
        validation_alias="HUT_AVAILABILITY_RETRY_BASE_MINUTES",
        description="Backoff of a failing hut: retried after base × 2^(failures − 1) minutes ...",
    )
    retry_max_minutes: float = Field(
        10080,
        gt=0,
        validation_alias="HUT_AVAILABILITY_RETRY_MAX_MINUTES",
        description="... at most this many minutes; a failing hut is never forgotten.",
    )
    retention_history_days: int = Field(
        DEFAULT_HISTORY_DAYS,
        ge=1,
        validation_alias="HUT_AVAILABILITY_RETENTION_HISTORY_DAYS",
        description=(
            "History of availability dates older than this many days is dropped (whole monthly "
            "partitions) by the daily retention job."
        ),
    )
    # None → keep current-state rows of past dates
    retention_current_days: int | None = Field(
        None,
        ge=1,
        validation_alias="HUT_AVAILABILITY_RETENTION_CURRENT_DAYS",
        description=(
            "Current-state rows of dates older than this many days are deleted. Unset: they are kept as"
            " the final record of each night."
        ),
    )
    # the base map's tile URL template; "" (given as `none`) → no tiles
    map_tiles: str = Field(
        DEFAULT_MAP_TILES,
        validation_alias="HUT_AVAILABILITY_MAP_TILES",
        description=(
            "The web map's base-map tiles: an http(s) URL template with `{z}`, `{x}`, `{y}` (XYZ tiles "
            "in Web Mercator); its host is the only other host the pages' Content-Security-Policy "
            "allows (images only). `none`: no tiles, no request to another host."
        ),
    )
    map_tiles_attribution: str = Field(
        DEFAULT_MAP_TILES_ATTRIBUTION,
        validation_alias="HUT_AVAILABILITY_MAP_TILES_ATTRIBUTION",
        description=(
            "The tiles' attribution, shown on the map (for OpenStreetMap's tiles linked to its "
            "copyright page, as its tile policy asks)."
        ),
    )

    # e-mail alerts from the web pages (docs/email-alerts.md): all three set → the form is offered
    # smtp://host:port (plain), smtps://user:password@host:465 (TLS); None → no e-mail alerts
    smtp_url: str | None = Field(
        None,
        validation_alias="HUT_AVAILABILITY_SMTP_URL",
        repr=False,
        description=(
            "The SMTP server of the e-mail alerts: `smtp://host:port` or `smtps://user:password@host:465`."
            " Unset (or the two below unset): the web pages offer no e-mail alerts. Never shown (it may hold"
            " a password)."
        ),
    )
    mail_from: str | None = Field(
        None,
        validation_alias="HUT_AVAILABILITY_MAIL_FROM",
        description="The sender of the e-mails, e.g. `Hut availability <huts@example.org>`.",
    )
    public_url: str | None = Field(
        None,
        validation_alias="HUT_AVAILABILITY_PUBLIC_URL",
        description="The base of the links in e-mails (confirm, unsubscribe), e.g. `https://huts.example.org`.",
    )

    def __init__(self, **values: Any) -> None:
        # Keyword arguments by field name (tests, overrides). Not `validate_by_name`: that would also
        # read an environment variable named like the field (`home`).
        fields = type(self).model_fields
        super().__init__(**{type(self).variable(k) if k in fields else k: v for k, v in values.items()})

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("dagster_postgres_url")
    @classmethod
    def _psycopg2_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("postgresql+psycopg2://"):
            raise ValueError("must be a postgresql+psycopg2:// URL (dagster-postgres talks psycopg2)")
        return value

    @field_validator("hrs_base_url", "huetten_holiday_base_url", "tmb_base_url", "ffcam_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("map_tiles")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in ("", MAP_TILES_OFF):
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http:// or https:// URL template (or {MAP_TILES_OFF!r} for no tiles)")
        missing = [p for p in ("{z}", "{x}", "{y}") if p not in value]
        if missing:  # braces doubled: _describe formats the reason
            shown = ", ".join(p.replace("{", "{{").replace("}", "}}") for p in missing)
            raise ValueError(f"must contain {{{{z}}}}, {{{{x}}}} and {{{{y}}}} (missing {shown})")
        if any(c in value for c in "\"'<> ;"):
            raise ValueError("must not contain quotes, spaces, '<', '>' or ';'")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("must be an smtp://host:port or smtps://user:password@host:port URL")
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError:
            raise ValueError("has a port that is not a number") from None
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from email.utils import parseaddr

        address = parseaddr(value)[1]
        if "@" not in address or any(c in value for c in "\r\n"):
            raise ValueError("must be an e-mail address, e.g. huts@example.org or 'Huts <huts@example.org>'")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an http:// or https:// URL without query, e.g. https://huts.example.org")
        return value.rstrip("/")

    @field_validator("dagster_home")
    @classmethod
    def _absolute_home(cls, value: Path | None) -> Path | None:
        # Dagster itself insists on an absolute DAGSTER_HOME; resolving a relative one here means
        # every process started from here gets the same directory.
        return None if value is None else value.expanduser().resolve()

    @model_validator(mode="after")
    def _tiers_consistent(self) -> Settings:
        self.tiers  # noqa: B018 (TierPolicy checks low <= high)
        return self

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def tiers(self) -> TierPolicy:
        """The priority tiers of these settings."""
        return TierPolicy(
            horizon_days=self.tier_horizon_days,
            high_threshold=self.tier_high_threshold,
            low_threshold=self.tier_low_threshold,
            high_interval=dt.timedelta(minutes=self.tier_high_minutes),
            medium_interval=dt.timedelta(minutes=self.tier_medium_minutes),
            low_interval=dt.timedelta(minutes=self.tier_low_minutes),
            unknown_interval=dt.timedelta(minutes=self.tier_unknown_minutes),
            retry_base=dt.timedelta(minutes=self.retry_base_minutes),
            retry_max=dt.timedelta(minutes=self.retry_max_minutes),
        )

    @property
    def map_tile_origin(self) -> str | None:
        """The scheme, host and port the map's tiles come from (what the pages' CSP allows), None
        without tiles."""
        if not self.map_tiles:
            return None
        parts = urlsplit(self.map_tiles)
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"

    @property
    def mail_enabled(self) -> bool:
        """Whether e-mail alerts can be offered: an SMTP server, a sender and the links' base."""
        return bool(self.smtp_url and self.mail_from and self.public_url)

    @property
    def resolved_home(self) -> Path:
        """`home` as an absolute path (what every process started from here is given)."""
        return self.home.expanduser().resolve()

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of a field."""
        alias = cls.model_fields[field].validation_alias
        return alias if isinstance(alias, str) else field


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (keyword arguments win); raise ConfigError naming the
    first bad variable, without the value of one that may hold a password."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def open_configured_database(settings: Settings) -> Database:
    """The configured database, migrated: DATABASE_URL, else the embedded server under the home
    (started when it does not run). The one place that turns the settings into the values
    `storage.database.open_database` takes (storage never sees the settings);
    DatabaseUnavailableError when it cannot be reached."""
    from .storage.database import open_database  # psycopg: loaded by what opens a database, not by the settings

    return open_database(settings.database_url, settings.home)


# pydantic's wording for the checks of numbers, in plain words
_REASONS = {
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "float_parsing": "is not a number",
    "greater_than_equal": "must be at least {ge:g}",
    "greater_than": "must be more than {gt:g}",
    "less_than_equal": "must be at most {le:g}",
}


def _describe(exc: ValidationError) -> str:
    messages = []
    for error in exc.errors(include_url=False, include_input=True):
        loc = [str(part) for part in error["loc"]]
        field = loc[0] if loc else ""
        if field in Settings.model_fields:
            name = Settings.variable(field)
        else:
            name = field  # an alias already, or empty for the model validator
        reason = _REASONS.get(error["type"], error["msg"]).format(**error.get("ctx", {}))
        reason = reason.removeprefix("Value error, ")
        if not name:
            messages.append(f"tier settings: {reason}")
        elif name in Settings.SECRET_VARIABLES:
            messages.append(f"{name} {reason} (the value is not shown: it may hold a password)")
        else:
            sep = " " if reason.startswith(("is ", "must ")) else ": "
            messages.append(f"{name}={error.get('input')!r}{sep}{reason}")
    return "; ".join(messages)
