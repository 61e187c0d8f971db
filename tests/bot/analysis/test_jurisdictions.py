"""The jurisdiction model (bot/analysis/jurisdictions.py): shared terms decided by context,
roles of demonyms, possessives and partners, the headline's subject beside a source's prior,
the actor ratio and multilateral treaties. Every rule has two examples from different
(invented) developments; `jurisdiction_roles.jsonl` holds 114 whole items in the styles of the
sources (press release, law-firm alert, newswire, opinion, parliament, register)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.analysis.classify import classify
from bot.analysis.taxonomy import Taxonomy, load_taxonomy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analysis"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(None)


def _signals(result: Any, code: str) -> list[dict[str, Any]]:
    return list(result.evidence["jurisdictions"].get(code, {}).get("signals", []))


def _items() -> list[dict[str, Any]]:
    lines = (FIXTURES / "jurisdiction_roles.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("item", _items(), ids=lambda i: f"{i['id']}-{i['kind']}")
def test_an_item_gets_the_governments_it_is_about(taxonomy: Taxonomy, item: dict[str, Any]) -> None:
    result = classify(
        item["title"], item["text"], taxonomy=taxonomy, hint_jurisdictions=item["hint"]
    )
    assert sorted(result.jurisdictions) == sorted(item["jurisdictions"])


# --- a term several governments share ------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "hint", "owner", "other"),
    [
        (
            "Minister sets out plans for AI in public services",
            "The Secretary of State for Health said hospitals would trial AI triage tools "
            "from the spring, with funding for 40 trusts.",
            ["UK"],
            "UK",
            "US",
        ),
        (
            "Washington presses allies on AI chip smuggling",
            "The Secretary of State told partners in Washington that diverted AI chips would "
            "cost them access to American technology.",
            [],
            "US",
            "UK",
        ),
        (
            "Ministry of Economic Affairs lists new controlled chip tools",
            "Taiwan's Ministry of Economic Affairs said exporters of the tools will need a "
            "permit, as Taipei closes gaps in its high-tech export rules.",
            [],
            "TW",
            "NL",
        ),
        (
            "Ministry of Economic Affairs funds AI compute for start-ups",
            "The Hague said the Ministry of Economic Affairs would fund GPU time for start-ups "
            "working on AI models in Dutch.",
            [],
            "NL",
            "TW",
        ),
    ],
)
def test_a_shared_title_goes_to_the_government_the_item_supports(
    taxonomy: Taxonomy, title: str, text: str, hint: list[str], owner: str, other: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy, hint_jurisdictions=hint)
    assert owner in result.jurisdictions
    assert other not in result.jurisdictions
    shared = [s for s in _signals(result, owner) if "shared" in s]
    assert shared and other in shared[0]["shared"]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Secretary of State to visit chip plants",
            "The Secretary of State will tour two chip plants next week, a spokesperson said.",
        ),
        (
            "Cabinet Office publishes AI procurement note",
            "The Cabinet Office published a note on buying AI tools for government offices.",
        ),
    ],
)
def test_a_shared_title_without_context_names_no_government(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == []
    assert any("no context decides" in r for r in result.evidence["rules"])


@pytest.mark.parametrize(
    ("title", "text", "seat_of", "not_seat_of"),
    [
        (
            "Strasbourg treaty on AI gains two more parties",
            "Norway and Iceland ratified the Council of Europe convention on AI in Strasbourg, "
            "the Council of Europe said.",
            "INTL",
            "EU",
        ),
        (
            "Strasbourg vote sends AI liability rules to member states",
            "MEPs in the European Parliament approved the AI liability rules; the European "
            "Commission will now draft guidance.",
            "EU",
            "INTL",
        ),
    ],
)
def test_a_city_that_seats_several_bodies_goes_to_the_one_in_context(
    taxonomy: Taxonomy, title: str, text: str, seat_of: str, not_seat_of: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert seat_of in result.jurisdictions
    assert not any(s["term"] == "Strasbourg" for s in _signals(result, not_seat_of))


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "actor", "described"),
    [
        (
            "Seoul adds lithography parts to its licence list",
            "Korea's trade ministry said exporters need a licence for lithography parts. "
            "Japanese toolmakers and American distributors supply most of them.",
            "KR",
            ["JP", "US"],
        ),
        (
            "Ottawa funds a public AI supercomputer",
            "Canada will fund a public AI supercomputer for university researchers. It will "
            "use Chinese-made cooling units and German software, officials said.",
            "CA",
            ["CN", "DE"],
        ),
    ],
)
def test_a_demonym_before_a_thing_is_a_passing_mention(
    taxonomy: Taxonomy, title: str, text: str, actor: str, described: list[str]
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == [actor]
    for code in described:
        roles = {s["role"] for s in _signals(result, code)}
        assert "passing" in roles and "actor" not in roles


@pytest.mark.parametrize(
    ("title", "text", "code"),
    [
        (
            "Japanese export rules on AI accelerators take effect in May",
            "Industry groups said the rules on AI accelerators would take effect in May, and "
            "that Japanese officials promised guidance.",
            "JP",
        ),
        (
            "Traders weigh a Dutch ban on servicing chip tools",
            "A Dutch ban on servicing advanced chip tools for Chinese fabs takes effect in "
            "April; the Dutch government said licences would be rare.",
            "NL",
        ),
    ],
)
def test_a_demonym_before_a_government_or_its_measure_acts(
    taxonomy: Taxonomy, title: str, text: str, code: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert code in result.jurisdictions
    assert "actor" in {s["role"] for s in _signals(result, code) if s["kind"] == "demonyms"}


@pytest.mark.parametrize(
    ("title", "text", "code"),
    [
        (
            "Compute-sharing pact signed",
            "Researchers will get time on public supercomputers under a pact that India's "
            "science ministry signed today; India's electronics ministry will pay for it.",
            "IN",
        ),
        (
            "New guidance on AI in schools",
            "Guidance on AI safety for AI tutors published this week is a first step, France's "
            "education minister said, and France's digital ministry will follow with AI rules.",
            "FR",
        ),
    ],
)
def test_a_possessive_before_a_government_noun_acts(
    taxonomy: Taxonomy, title: str, text: str, code: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert code in result.jurisdictions
    assert {s["role"] for s in _signals(result, code)} == {"actor"}


@pytest.mark.parametrize(
    ("title", "text", "hint", "partner"),
    [
        (
            "Minister signs AI safety partnership with Singapore and Korea",
            "The Technology Secretary signed a partnership with Korea on joint testing of "
            "frontier AI models; the Department for Science, Innovation and Technology will "
            "fund the exchange of researchers. DSIT said further partners would follow.",
            ["UK"],
            "KR",
        ),
        (
            "Government agrees compute framework with India",
            "The Ministry of Economy, Trade and Industry agreed a framework with India on "
            "sharing GPU capacity. METI said the framework starts in April, and METI will "
            "report on it to the Diet.",
            ["JP"],
            "IN",
        ),
    ],
)
def test_the_other_party_of_an_agreement_is_a_partner(
    taxonomy: Taxonomy, title: str, text: str, hint: list[str], partner: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy, hint_jurisdictions=hint)
    assert set(result.jurisdictions) == {*hint, partner}
    assert "partner" in {s["role"] for s in _signals(result, partner)}


@pytest.mark.parametrize(
    ("title", "text", "hint", "subject"),
    [
        (
            "Emir and Japanese Prime Minister open AI research centre",
            "Doha, 3 March (QNA). The Emir and Japan's Prime Minister opened an AI research "
            "centre built with Qatari funds. The Qatar Investment Authority, Qatar Foundation "
            "and Qatar's ministry of communications will run it, the Amiri Diwan said; Qatar "
            "will host researchers from Qatar University.",
            ["QA"],
            "JP",
        ),
        (
            "France and India launch joint AI skills programme",
            "Paris, 10 June. The Élysée said President Macron and the French government would "
            "fund 2,000 places; France's ministry of higher education will run the programme, "
            "and the French Senate approved the budget. India will send students.",
            ["FR"],
            "IN",
        ),
    ],
)
def test_the_headlines_subject_is_kept_beside_a_larger_prior(
    taxonomy: Taxonomy, title: str, text: str, hint: list[str], subject: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy, hint_jurisdictions=hint)
    assert subject in result.jurisdictions
    headline = [s for s in _signals(result, subject) if s["where"] == "title"]
    assert headline and headline[0].get("subject") is True


@pytest.mark.parametrize(
    ("title", "text", "actor", "minor"),
    [
        (
            "Tokyo widens export licensing for chip materials",
            "Japan's Ministry of Economy, Trade and Industry said METI would require licences "
            "for photoresist exports from June. Tokyo said the rule answers supply risks. "
            "China is the largest buyer.",
            "JP",
            "CN",
        ),
        (
            "Brussels opens AI Act sandbox applications",
            "The European Commission said AI developers can apply to the AI Act sandboxes "
            "from May; the AI Office will pick 40 projects. The United States has no "
            "equivalent scheme.",
            "EU",
            "US",
        ),
    ],
)
def test_a_government_with_less_than_half_the_actors_evidence_is_not_tagged(
    taxonomy: Taxonomy, title: str, text: str, actor: str, minor: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == [actor]
    assert any(r.startswith(f"{minor}: ") and "is below" in r for r in result.evidence["rules"])


@pytest.mark.parametrize(
    ("title", "text", "actor"),
    [
        (
            "Norway ratifies AI framework convention",
            "Norway ratified the framework convention on artificial intelligence, the "
            "international treaty on AI and human rights, the government said.",
            None,
        ),
        (
            "Japan signs international agreement on AI and human rights",
            "Japan's foreign minister signed the framework convention on AI, an international "
            "treaty on human rights and the rule of law, in Strasbourg.",
            "JP",
        ),
    ],
)
def test_a_framework_convention_is_a_multilateral_subject(
    taxonomy: Taxonomy, title: str, text: str, actor: str | None
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert "INTL" in result.jurisdictions
    if actor:
        assert actor in result.jurisdictions  # INTL never removes the acting government


@pytest.mark.parametrize(
    ("title", "text", "parties"),
    [
        (
            "Joint declaration of Japan and the Republic of India on AI compute",
            "The two governments will share access to public GPU clusters for AI research and "
            "meet every year to review the programme.",
            {"JP", "IN"},
        ),
        (
            "Officials hail agreement between Canada and the United Kingdom on AI testing",
            "The agreement covers joint evaluations of frontier AI models and an exchange of "
            "researchers between the two safety institutes.",
            {"CA", "UK"},
        ),
    ],
)
def test_the_parties_of_a_joint_text_are_partners(
    taxonomy: Taxonomy, title: str, text: str, parties: set[str]
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert set(result.jurisdictions) == parties
    for code in parties:
        assert "partner" in {s["role"] for s in _signals(result, code)}


@pytest.mark.parametrize(
    ("title", "text", "firm_of"),
    [
        (
            "Saudi AI group signs deal with Korean chip designer",
            "Humain signed a supply deal with Korean chip designer Rebellions for AI "
            "accelerators in its data centres.",
            "KR",
        ),
        (
            "Indian conglomerate agrees partnership with American cloud provider",
            "Reliance agreed a partnership with American cloud provider Oracle to build AI data "
            "centres in Gujarat.",
            "US",
        ),
    ],
)
def test_a_deal_with_a_countrys_firm_is_no_government_partner(
    taxonomy: Taxonomy, title: str, text: str, firm_of: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert firm_of not in result.jurisdictions
    assert "partner" not in {s["role"] for s in _signals(result, firm_of)}


@pytest.mark.parametrize(
    ("title", "text", "actor", "firm_of"),
    [
        (
            "Seoul tightens rules on chip technology transfers",
            "South Korea's trade ministry said transfers of chip technology abroad need "
            "approval. Shares of Tokyo Electron and China Mobile were unchanged.",
            "KR",
            ["JP", "CN"],
        ),
        (
            "Brussels fines search engine under AI Act",
            "The European Commission imposed a fine under the AI Act, the Washington Post "
            "and Berlin Brandenburg Airport's operator reported, citing officials.",
            "EU",
            ["US", "DE"],
        ),
    ],
)
def test_a_name_that_opens_a_longer_proper_name_is_not_the_government(
    taxonomy: Taxonomy, title: str, text: str, actor: str, firm_of: list[str]
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == [actor]
    for code in firm_of:
        assert "actor" not in {s["role"] for s in _signals(result, code)}


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "US President and UK Treasury back AI chip plan",
            "US President Carter and the UK Treasury backed the plan on AI chip export "
            "controls, officials said.",
        ),
        (
            "Ministers meet on AI export controls",
            "The talks brought together the US Senate and the UK Treasury on AI chip export "
            "controls.",
        ),
    ],
)
def test_a_name_before_a_government_body_still_acts(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    for code, name in (("US", "US"), ("UK", "UK")):
        roles = {s["role"] for s in _signals(result, code) if s["term"] == name}
        assert roles == {"actor"}


@pytest.mark.parametrize(
    ("title", "text", "named_once"),
    [
        (
            "OECD ministers adopt AI compute statistics framework",
            "OECD ministers adopted a framework for statistics on public AI compute at the "
            "OECD in Paris, and the OECD will publish the first figures next year. Japan "
            "abstained.",
            "JP",
        ),
        (
            "WTO members agree work programme on AI and trade",
            "WTO members agreed a work programme on AI and trade in Geneva; the WTO "
            "secretariat will report in a year. India asked for more time.",
            "IN",
        ),
    ],
)
def test_beside_a_multilateral_subject_a_government_named_once_is_not_tagged(
    taxonomy: Taxonomy, title: str, text: str, named_once: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == ["INTL"]
    assert any(r.startswith(f"{named_once}: ") for r in result.evidence["rules"])


@pytest.mark.parametrize(
    ("title", "text", "code"),
    [
        (
            "Chinese rules take effect for AI labels",
            "Platforms must label AI-generated images and video from Monday, the regulator said.",
            "CN",
        ),
        (
            "Korean curbs take effect for chip exports",
            "Exporters of advanced chips will need a licence from March, the trade ministry said.",
            "KR",
        ),
    ],
)
def test_a_measure_named_after_its_government_is_that_government_acting(
    taxonomy: Taxonomy, title: str, text: str, code: str
) -> None:
    # The phrase ends in an event word ("take effect"), but its noun is the measure.
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == [code]
    assert [s["role"] for s in _signals(result, code)] == ["actor"]


@pytest.mark.parametrize(
    ("title", "text", "actor", "listed"),
    [
        (
            "Commerce tightens AI chip licences",
            "The Commerce Department will require licences for AI chip exports to China, "
            "Russia and the United Arab Emirates from May, BIS said.",
            ["US"],
            ["CN", "AE"],
        ),
        (
            "Chip shares slide",
            "Chipmaker shares fell in Tokyo, Taipei and Seoul on Tuesday after weak results.",
            [],
            ["JP", "TW", "KR"],
        ),
    ],
)
def test_a_government_later_in_a_list_has_the_role_of_the_first(
    taxonomy: Taxonomy, title: str, text: str, actor: list[str], listed: list[str]
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == actor
    for code in listed:
        assert {s["role"] for s in _signals(result, code)} == {"target"}
