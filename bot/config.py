"""Settings: one pydantic-settings class read from the environment or a `.env` file.

The names are the ones in docs/reference.md. Secrets are `SecretStr`, so printing a Settings object
or logging it never reveals them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.analysis.taxonomy import load_taxonomy


def _split_csv(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class MissingSettingError(Exception):
    """A command needs a setting that is not set; the CLI prints one line and exits 2."""

    def __init__(self, name: str, why: str = "") -> None:
        self.name = name
        message = f"{name} is not set"
        if why:
            message += f": {why}"
        super().__init__(message)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        # `NAME=` (as `.env.example` has it) means "not set": the default, never "" or the cwd.
        env_ignore_empty=True,
    )

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_APP_TOKEN")
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=_env("SLACK_API_URL")
    )
    database_url: str = Field(
        default="sqlite:///policybot.db", validation_alias=_env("DATABASE_URL")
    )
    sources_path: Path = Field(
        default=Path("sources.toml"), validation_alias=_env("POLICYBOT_SOURCES")
    )
    briefing_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("POLICYBOT_BRIEFING_CHANNELS")
    )
    briefing_time: str = Field(default="08:00", validation_alias=_env("POLICYBOT_BRIEFING_TIME"))
    timezone: str = Field(default="UTC", validation_alias=_env("POLICYBOT_TIMEZONE"))
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("POLICYBOT_ADMINS")
    )
    announce_max_age_days: int = Field(
        default=7, ge=0, validation_alias=_env("POLICYBOT_ANNOUNCE_MAX_AGE_DAYS")
    )
    max_response_bytes: int = Field(
        default=10_000_000, gt=0, validation_alias=_env("POLICYBOT_MAX_RESPONSE_BYTES")
    )

    # Operational settings (docs/reference.md, README and .env.example document each).
    fetch_concurrency: int = Field(
        default=16, ge=1, validation_alias=_env("POLICYBOT_FETCH_CONCURRENCY")
    )
    fetch_per_host: int = Field(default=2, ge=1, validation_alias=_env("POLICYBOT_FETCH_PER_HOST"))
    # Politeness: the least time between two requests to one host.
    fetch_host_interval_seconds: float = Field(
        default=1.0, ge=0, validation_alias=_env("POLICYBOT_FETCH_HOST_INTERVAL_SECONDS")
    )
    fetch_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias=_env("POLICYBOT_FETCH_TIMEOUT_SECONDS")
    )
    allow_private_sources: bool = Field(
        default=False, validation_alias=_env("POLICYBOT_ALLOW_PRIVATE_SOURCES")
    )
    taxonomy_path: Path | None = Field(default=None, validation_alias=_env("POLICYBOT_TAXONOMY"))
    briefing_quiet: Literal["line", "none"] = Field(
        default="line", validation_alias=_env("POLICYBOT_BRIEFING_QUIET")
    )
    # "C0123=US,EU,export-controls;C0456=UK": per-channel jurisdiction/topic filters.
    briefing_filters: str = Field(default="", validation_alias=_env("POLICYBOT_BRIEFING_FILTERS"))
    briefing_grace_hours: float = Field(
        default=12.0, ge=0, validation_alias=_env("POLICYBOT_BRIEFING_GRACE_HOURS")
    )

    llm_provider: Literal["", "openai", "anthropic"] = Field(
        default="", validation_alias=_env("POLICYBOT_LLM_PROVIDER")
    )
    llm_model: str = Field(default="", validation_alias=_env("POLICYBOT_LLM_MODEL"))
    llm_base_url: str = Field(default="", validation_alias=_env("POLICYBOT_LLM_BASE_URL"))
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("POLICYBOT_LLM_API_KEY")
    )
    llm_timeout_seconds: float = Field(
        default=20.0, gt=0, validation_alias=_env("POLICYBOT_LLM_TIMEOUT_SECONDS")
    )
    llm_daily_token_budget: int = Field(
        default=200_000, ge=0, validation_alias=_env("POLICYBOT_LLM_DAILY_TOKEN_BUDGET")
    )

    @field_validator("briefing_channels", "admins", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("briefing_time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        parts = value.strip().split(":")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError("expected HH:MM")
        hour, minute = int(parts[0]), int(parts[1])
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError("expected HH:MM")
        return f"{hour:02d}:{minute:02d}"

    @field_validator("slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http(s) URL such as https://slack.com/api/")
        return value.strip()

    @field_validator("taxonomy_path")
    @classmethod
    def _readable_taxonomy(cls, value: Path | None) -> Path | None:
        if value is not None:
            load_taxonomy(value)  # a TaxonomyError (a ValueError) names the file and the problem
        return value

    @property
    def sources_file(self) -> Path | None:
        """The sources file to read; None means the bundled default pack.

        A path that was set must exist (a typo must not switch to the bundled pack); the default
        `sources.toml` is used only when it is there.
        """
        if "sources_path" in self.model_fields_set or self.sources_path.exists():
            return self.sources_path
        return None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_provider and self.llm_model)

    def require_bot_token(self) -> str:
        if self.slack_bot_token is None or not self.slack_bot_token.get_secret_value():
            raise MissingSettingError("SLACK_BOT_TOKEN", "needed to post to Slack")
        return self.slack_bot_token.get_secret_value()

    def require_signing_secret(self) -> str:
        if self.slack_signing_secret is None or not self.slack_signing_secret.get_secret_value():
            raise MissingSettingError("SLACK_SIGNING_SECRET", "needed to verify Slack requests")
        return self.slack_signing_secret.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; keyword overrides win (used by tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
