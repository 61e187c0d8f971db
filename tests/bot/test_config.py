"""Settings: the docs/reference.md names, secrets hidden, every setting documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError

from bot.config import MissingSettingError, Settings

ROOT = Path(__file__).resolve().parents[2]


def _env_names() -> list[str]:
    names = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices)
        names.append(str(alias.choices[0]))
    return names


def test_contract_names_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("POLICYBOT_BRIEFING_CHANNELS", "C1, C2,,")
    monkeypatch.setenv("POLICYBOT_BRIEFING_TIME", "7:05")
    monkeypatch.setenv("POLICYBOT_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setenv("POLICYBOT_ANNOUNCE_MAX_AGE_DAYS", "3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "sqlite:///x.db"
    assert settings.briefing_channels == ["C1", "C2"]
    assert settings.briefing_time == "07:05"
    assert settings.tz.key == "Europe/Amsterdam"
    assert settings.announce_max_age_days == 3


def test_defaults_match_the_contract() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///policybot.db"
    assert str(settings.sources_path) == "sources.toml"
    assert settings.briefing_time == "08:00"
    assert settings.timezone == "UTC"
    assert settings.announce_max_age_days == 7
    assert settings.max_response_bytes == 10_000_000
    assert settings.llm_enabled is False


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "secret-value" not in repr(settings)
    assert "secret-value" not in str(settings.model_dump())
    assert settings.require_bot_token() == "xoxb-secret-value"


def test_a_missing_token_names_the_setting() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(MissingSettingError, match="SLACK_BOT_TOKEN"):
        settings.require_bot_token()


@pytest.mark.parametrize(
    ("name", "value"),
    [("POLICYBOT_TIMEZONE", "Mars/Olympus"), ("POLICYBOT_BRIEFING_TIME", "25:00")],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_env_example_documents_every_setting() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for name in _env_names():
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{name}=")), None)
        assert index is not None, f"{name} missing from .env.example"
        assert lines[index - 1].startswith("#"), f"{name} has no comment line"
