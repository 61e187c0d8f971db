"""Optional LLM summaries and phrasing, over httpx. Off by default; extractive is the fallback.

Two providers behind one small interface (`LLMProvider.complete`):
- `openai`: any OpenAI-compatible chat completions endpoint (`POST {base}/chat/completions`),
  which covers OpenAI itself and local servers such as Ollama or vLLM, so text can stay in-house;
- `anthropic`: the Anthropic Messages API (`POST {base}/v1/messages`).
Turned on by `POLICYBOT_LLM_PROVIDER` and `POLICYBOT_LLM_MODEL` (plus `_BASE_URL`, `_API_KEY`,
`_TIMEOUT_SECONDS`). Every call is bounded by the time-out and by a daily token budget
(`POLICYBOT_LLM_DAILY_TOKEN_BUDGET`, counted in the `kv` table per UTC day). Any failure
(network, HTTP error, malformed reply, over budget, an answer that is too long) falls back to
the extractive summary; the API key never appears in logs or errors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from bot.analysis.summarise import MAX_CHARS, split_sentences, summarise_items
from bot.config import Settings
from store.counters import add_to_counter, read_counter
from store.db import SessionFactory, session_factory

log = logging.getLogger(__name__)

DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}
ANTHROPIC_VERSION = "2023-06-01"
SUMMARY_MAX_TOKENS = 200
_INPUT_CHARS_PER_ITEM = 4000

SUMMARY_SYSTEM = (
    "You summarise public-policy documents for a policy team. Use only facts stated in the "
    "text you are given; do not add background, opinions, predictions or anything you know "
    "from elsewhere. If the text does not say who acted, what they did or when, leave it out "
    "rather than guess. Write one to three plain sentences, at most 400 characters in all, "
    "with no heading, list, markdown or preamble."
)


class LLMError(Exception):
    """A provider call failed; the message never contains the API key."""


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int


class LLMProvider(Protocol):
    def complete(self, *, system: str, prompt: str, max_tokens: int) -> Completion: ...


def _client(settings: Settings, transport: httpx.BaseTransport | None) -> httpx.Client:
    timeout = httpx.Timeout(settings.llm_timeout_seconds)
    return httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)


def _key(settings: Settings) -> str:
    return settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""


def _post(client: httpx.Client, url: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    try:
        response = client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise LLMError(f"request to the LLM endpoint failed: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise LLMError(f"LLM endpoint answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise LLMError("LLM endpoint answered with invalid JSON") from None


class OpenAICompatible:
    """Chat completions (OpenAI, Ollama, vLLM, LM Studio and others)."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.base = (settings.llm_base_url or DEFAULT_BASE_URLS["openai"]).rstrip("/")

    def complete(self, *, system: str, prompt: str, max_tokens: int) -> Completion:
        headers = {"Content-Type": "application/json"}
        if key := _key(self.settings):
            headers["Authorization"] = f"Bearer {key}"
        body = {
            "model": self.settings.llm_model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt},
            ],
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        with _client(self.settings, self.transport) as client:
            data = _post(client, f"{self.base}/chat/completions", headers, body)
        try:
            text = data["choices"][0]["message"]["content"]
            usage = data.get("usage") or {}
            return Completion(
                text=str(text),
                input_tokens=int(usage.get("prompt_tokens", 0)),
                output_tokens=int(usage.get("completion_tokens", 0)),
            )
        except (KeyError, IndexError, TypeError, ValueError):
            raise LLMError("LLM reply has no choices[0].message.content") from None


class Anthropic:
    """The Anthropic Messages API."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.base = (settings.llm_base_url or DEFAULT_BASE_URLS["anthropic"]).rstrip("/")

    def complete(self, *, system: str, prompt: str, max_tokens: int) -> Completion:
        headers = {
            "Content-Type": "application/json",
            "anthropic-version": ANTHROPIC_VERSION,
            "x-api-key": _key(self.settings),
        }
        body = {
            "model": self.settings.llm_model,
            "max_tokens": max_tokens,
            "system": system,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
        }
        url = f"{self.base}/messages" if self.base.endswith("/v1") else f"{self.base}/v1/messages"
        with _client(self.settings, self.transport) as client:
            data = _post(client, url, headers, body)
        try:
            text = "".join(
                block.get("text", "") for block in data["content"] if block.get("type") == "text"
            )
            usage = data.get("usage") or {}
            return Completion(
                text=text,
                input_tokens=int(usage.get("input_tokens", 0)),
                output_tokens=int(usage.get("output_tokens", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise LLMError("LLM reply has no text content") from None


def make_provider(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> LLMProvider | None:
    """The configured provider, or None when LLM use is off."""
    if not settings.llm_enabled:
        return None
    if settings.llm_provider == "anthropic":
        return Anthropic(settings, transport)
    return OpenAICompatible(settings, transport)


# --- daily token budget (kv table) ----------------------------------------------------------
def _budget_key(day: datetime) -> str:
    return f"llm_tokens:{day.astimezone(UTC).date().isoformat()}"


class TokenBudget:
    """The daily token budget, read and charged in short transactions of their own.

    Never in the caller's transaction: an LLM call takes up to `POLICYBOT_LLM_TIMEOUT_SECONDS`,
    and a transaction held around it would hold SQLite's write lock (every transaction here
    begins IMMEDIATE) and stop polls and briefings meanwhile.
    """

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @classmethod
    def of(cls, session: Session) -> TokenBudget:
        """The budget of the store `session` belongs to (through fresh sessions)."""
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        return cls(session_factory(engine))

    def used(self, now: datetime) -> int:
        with self.sessions() as session:
            return max(read_counter(session, _budget_key(now)), 0)

    def charge(self, now: datetime, tokens: int) -> None:
        with self.sessions() as session:
            add_to_counter(session, _budget_key(now), max(tokens, 0), now=now)
            session.commit()


def tokens_used(session: Session, *, now: datetime) -> int:
    """Tokens charged on `now`'s UTC day, read in `session`."""
    return max(read_counter(session, _budget_key(now)), 0)


def _estimate_tokens(text: str) -> int:
    return len(text) // 4 + 1


def complete(
    prompt: str,
    *,
    settings: Settings,
    budget: TokenBudget,
    now: datetime,
    system: str = SUMMARY_SYSTEM,
    max_tokens: int = SUMMARY_MAX_TOKENS,
    transport: httpx.BaseTransport | None = None,
) -> str | None:
    """The model's answer to `prompt`, or None (off, over budget, or any failure).

    Call it with no transaction open on SQLite (see `TokenBudget`). Callers always have a
    fallback.
    """
    provider = make_provider(settings, transport=transport)
    if provider is None:
        return None
    estimate = _estimate_tokens(system) + _estimate_tokens(prompt) + max_tokens
    used = budget.used(now)
    if used + estimate > settings.llm_daily_token_budget:
        log.info("LLM daily token budget reached (%s used); using the fallback", used)
        return None
    try:
        result = provider.complete(system=system, prompt=prompt, max_tokens=max_tokens)
    except LLMError as exc:
        log.warning("LLM call failed (%s); using the fallback", exc)
        budget.charge(now, _estimate_tokens(prompt))
        return None
    except Exception as exc:  # any provider bug must not break a poll or an answer
        log.warning("LLM call failed (%s); using the fallback", type(exc).__name__)
        return None
    budget.charge(now, result.input_tokens + result.output_tokens or estimate)
    text = result.text.strip()
    return text or None


def summary_prompt(items: Sequence[tuple[str, str]]) -> str:
    parts = ["Summarise this development. The first document is the primary source."]
    for index, (title, text) in enumerate(items[:4], start=1):
        parts.append(
            f"<document {index}>\nTitle: {title}\n{text[:_INPUT_CHARS_PER_ITEM]}\n</document {index}>"
        )
    return "\n\n".join(parts)


def _acceptable(summary: str) -> str | None:
    """The model's summary, cleaned, if it respects the rules; else None."""
    cleaned = re.sub(r"\s+", " ", summary.replace("**", "")).strip().strip('"')
    if not cleaned or len(split_sentences(cleaned)) > 3:
        return None
    if len(cleaned) > MAX_CHARS:
        return None
    return cleaned


def summarise_development(
    items: Sequence[tuple[str, str]],
    *,
    settings: Settings,
    budget: TokenBudget | None = None,
    now: datetime,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Summary of a development from its items' (title, text), primary source first.

    Extractive unless an LLM is configured (and a budget given); any LLM failure gives the
    extractive summary.
    """
    extractive = summarise_items(items)
    if not settings.llm_enabled or budget is None or not items:
        return extractive
    answer = complete(
        summary_prompt(items), settings=settings, budget=budget, now=now, transport=transport
    )
    if answer is None:
        return extractive
    return _acceptable(answer) or extractive
