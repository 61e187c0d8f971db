"""Text helpers for Slack messages: escaping outside text and staying inside Block Kit limits.

Every string that came from outside (a feed title, a summary, a user's question) goes through
`escape` before it is put in mrkdwn, so no feed can mention `@channel` (`<!channel>`) or forge a
link (`<https://evil|click>`).
"""

from __future__ import annotations

import re

SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
CONTEXT_TEXT_LIMIT = 2000
FALLBACK_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HOME_BLOCK_LIMIT = 100
ELLIPSIS = "…"
_ENTITY_AT_END = re.compile(r"&(?:amp|lt|gt);$")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn and text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, at a word boundary, with an ellipsis.

    Never cuts inside an escape sequence such as `&amp;` (nor strips its `;`), nor inside a
    link or mention `<…>`: a link that does not fit is replaced by its label.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= (limit // 2):
        cut = cut[:space]
    opened = cut.rfind("<")
    if opened != -1 and ">" not in cut[opened:]:
        closed = text.find(">", opened)
        if closed != -1:
            inner = text[opened + 1 : closed]
            label = inner.split("|", 1)[1] if "|" in inner else ""
            return truncate(text[:opened] + label + text[closed + 1 :], limit)
        cut = cut[:opened]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    while cut and cut[-1] in " ,;:-" and not _ENTITY_AT_END.search(cut):
        cut = cut[:-1]
    return cut + ELLIPSIS


def escape_and_truncate(text: str, limit: int) -> str:
    return truncate(escape(text), limit)


def link(url: str, label: str) -> str:
    """A mrkdwn link whose label is escaped outside text; the URL cannot break out of `<…>`."""
    safe_url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    safe_url = safe_url.replace("&", "&amp;")
    return f"<{safe_url}|{escape(label)}>"


def plain_text(text: str, limit: int = HEADER_TEXT_LIMIT) -> dict[str, object]:
    """A `plain_text` object (no escaping needed: Slack does not parse it), cut to `limit`."""
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, object]:
    """A `mrkdwn` text object; `text` must already be escaped where it holds outside text."""
    return {"type": "mrkdwn", "text": truncate(text, limit)}
