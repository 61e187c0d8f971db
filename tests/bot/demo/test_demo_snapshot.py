"""The demo snapshot renders relative to now and is served like a real publisher."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import httpx
import pytest

from bot.demo.snapshot import (
    PAGE_PATH,
    ROUTES,
    DemoServer,
    demo_sources_toml,
    read_template,
    render,
    serve_snapshot,
)

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def test_render_fills_dates_relative_to_now_in_each_format() -> None:
    text = "{{ago:2}} {{ago:2|rfc822}} {{ago:2|date}} {{ago:0.5|london}} {{base}}/x"
    assert render(text, base="http://127.0.0.1:9", now=NOW) == (
        "2026-11-24T09:30:00Z Tue, 24 Nov 2026 09:30:00 +0000 2026-11-24 "
        "2026-11-25T21:30:00+00:00 http://127.0.0.1:9/x"
    )


def test_render_refuses_an_unknown_format_and_a_naive_now() -> None:
    with pytest.raises(ValueError, match="unknown date format"):
        render("{{ago:1|weekday}}", base="", now=NOW)
    with pytest.raises(ValueError):
        render("{{ago:1}}", base="", now=datetime(2026, 1, 1))


def test_every_template_renders_without_leftover_placeholders() -> None:
    server = DemoServer(now=NOW)
    for key in ROUTES:
        found = server.lookup(key)
        assert found is not None
        assert b"{{" not in found[1], key
    assert "{{" not in demo_sources_toml(base=server.base_url, now=NOW)


def _items_by_route(server: DemoServer) -> dict[str, list[str]]:
    titles: dict[str, list[str]] = {}
    for key, resource in ROUTES.items():
        found = server.lookup(key)
        assert found is not None
        body = found[1]
        if resource.template.endswith(".json"):
            data = json.loads(body)
            entries = data.get("results") or data.get("items") or []
            titles[key] = [entry["title"] for entry in entries]
        elif resource.template.endswith(".xml"):
            root = ElementTree.fromstring(body)
            atom = "{http://www.w3.org/2005/Atom}"
            nodes = root.findall(f"{atom}entry") or root.findall("./channel/item")
            titles[key] = [
                (node.findtext(f"{atom}title") or node.findtext("title") or "") for node in nodes
            ]
    return titles


def test_the_snapshot_has_about_thirty_items_with_negatives_and_a_hostile_title() -> None:
    titles = [t for ts in _items_by_route(DemoServer(now=NOW)).values() for t in ts]
    assert 28 <= len(titles) <= 40
    joined = "\n".join(titles)
    for negative in ("Sovereign bond", "Potato chip", "Farm exports"):
        assert negative in joined
    hostile = [t for t in titles if "<!channel>" in t or "&lt;!channel&gt;" in t]
    assert len(hostile) == 1


def test_the_demo_sources_file_lists_every_kind_on_the_loopback_server() -> None:
    data = tomllib.loads(demo_sources_toml(base="http://127.0.0.1:5555", now=NOW))
    kinds = {source["kind"] for source in data["sources"]}
    assert kinds == {"feed", "federal_register", "govuk_search", "page"}
    assert all(s["url"].startswith("http://127.0.0.1:5555/") for s in data["sources"])
    assert {s["primary"] for s in data["sources"]} == {True, False}


def test_server_serves_pages_follows_paging_and_honours_etags() -> None:
    with serve_snapshot(clock=lambda: NOW) as server, httpx.Client() as client:
        sources = tomllib.loads(demo_sources_toml(base=server.base_url, now=NOW))["sources"]
        for source in sources:
            assert client.get(source["url"]).status_code == 200, source["name"]
        first = client.get(sources[0]["url"])
        next_url = first.json()["next_page_url"]
        assert next_url.startswith(server.base_url)
        second = client.get(next_url).json()
        assert "next_page_url" not in second
        assert (
            second["results"][0]["document_number"] != first.json()["results"][0]["document_number"]
        )
        again = client.get(sources[0]["url"], headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert client.get(server.base_url + "/nothing-here").status_code == 404


def test_the_watched_page_changes_when_the_demo_says_so() -> None:
    with serve_snapshot(clock=lambda: NOW) as server, httpx.Client() as client:
        before = client.get(server.base_url + PAGE_PATH).text
        server.set_page_version(2)
        after = client.get(server.base_url + PAGE_PATH).text
    assert "Advanced AI semiconductors" not in before
    assert "Advanced AI semiconductors" in after


def test_recent_items_are_recent_and_backfill_items_are_old() -> None:
    data = json.loads(render(read_template("federal_register_page2.json"), base="", now=NOW))
    dates = {r["document_number"]: r["publication_date"] for r in data["results"]}
    assert dates["DEMO-2026-0007"] < (NOW - timedelta(days=300)).date().isoformat()
    assert dates["DEMO-2026-0105"] == (NOW - timedelta(days=5)).date().isoformat()
