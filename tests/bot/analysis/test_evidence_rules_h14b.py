"""Rules added for text never seen (issue 14, second pass): comparisons are passing mentions,
generic institution names identify no country, a requested delay is not a suspension, a
source's update on one named product joins its earlier alert, and a weekday is a date. Every
rule has two examples from different (invented) developments."""

from __future__ import annotations

from datetime import date

import pytest

from bot.analysis import cluster
from bot.analysis.classify import classify
from bot.analysis.taxonomy import Taxonomy, load_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(None)


# --- classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "actor", "compared"),
    [
        (
            "Canberra passes online safety rules for AI chatbots",
            "Australia's parliament passed a law requiring AI chatbot providers to verify ages. "
            "Unlike the European Union, which relies on its AI Act, Australia chose a narrow "
            "rule for chatbots.",
            "AU",
            "EU",
        ),
        (
            "Ottawa tables a bill on high-impact AI systems",
            "Canada's government tabled a bill setting duties for high-impact AI systems. "
            "Critics said the text was modelled on the European Union's AI Act.",
            "CA",
            "EU",
        ),
    ],
)
def test_a_government_named_in_a_comparison_is_a_passing_mention(
    taxonomy: Taxonomy, title: str, text: str, actor: str, compared: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert compared not in result.jurisdictions
    roles = {s["role"] for s in result.evidence["jurisdictions"][compared]["signals"]}
    assert "passing" in roles and "actor" not in roles
    if actor in taxonomy.jurisdiction_codes:
        assert actor in result.jurisdictions


@pytest.mark.parametrize(
    ("title", "text", "hint"),
    [
        (
            "Ministry names head of the new AI Safety Institute",
            "The ministry appointed the first director of the AI Safety Institute, which will "
            "test frontier AI models before release.",
            "JP",
        ),
        (
            "AI Safety Institute publishes its first evaluation of chatbots",
            "The institute, set up under the framework act on artificial intelligence, said "
            "the AI Safety Institute found gaps in two chatbots.",
            "KR",
        ),
    ],
)
def test_a_generic_institution_name_is_no_country_signal(
    taxonomy: Taxonomy, title: str, text: str, hint: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy, hint_jurisdictions=[hint])
    assert result.jurisdictions == [hint]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "RBI tightens rules on lenders' use of AI credit models",
            "The Reserve Bank of India told banks to keep a human check on algorithmic credit "
            "decisions from April.",
        ),
        (
            "Union Cabinet approves semiconductor fab incentive",
            "The Union Cabinet approved incentives for a chip fab in Gujarat, with a budget of "
            "Rs 20,000 crore.",
        ),
    ],
)
def test_indian_institutions_identify_india(taxonomy: Taxonomy, title: str, text: str) -> None:
    assert "IN" in classify(title, text, taxonomy=taxonomy).jurisdictions


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Parliament passes framework act on artificial intelligence",
            "The act charges the ministry with a national AI master plan and sets up a "
            "national AI committee; providers of high-risk AI systems face transparency duties.",
        ),
        (
            "Lawmakers approve AI law with national AI council",
            "The AI law creates a national AI council and requires labelling of AI-generated "
            "content; fines apply after a one-year grace period.",
        ),
    ],
)
def test_a_national_ai_committee_in_a_law_is_not_sovereignty(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.topics == ["regulation"]


# --- clustering --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Rome and Madrid seek delay to Brussels' AI rulebook",
        "Industry groups call for a pause on the chip export rule",
    ],
)
def test_a_headline_asking_for_a_delay_reports_no_suspension(title: str) -> None:
    assert cluster.fingerprint(title, "Officials met on Tuesday.").modifiers == frozenset()


@pytest.mark.parametrize(
    "title",
    [
        "Commission delays AI rulebook obligations by a year",
        "Ministry suspends the chip export rule for 90 days",
    ],
)
def test_a_headline_reporting_a_delay_still_does(title: str) -> None:
    assert cluster.fingerprint(title, "Officials said so.").modifiers == frozenset({"suspension"})


def _candidate(fp: cluster.Fingerprint, *, same_source: bool, days: float) -> cluster.Candidate:
    return cluster.Candidate(
        7, fp, frozenset({"US"}), frozenset({"export-controls"}), True, days, same_source
    )


@pytest.mark.parametrize(
    ("first", "update"),
    [
        (
            (
                "Licence by letter: what the QX90 notification means for exporters",
                "Vendors of the QX90 accelerator were told on 3 May that exports to listed "
                "destinations need a licence. Korvex disclosed a charge.",
            ),
            (
                "QX90 update: Korvex and a second vendor now covered",
                "Our earlier alert on the QX90 licence letter: a second vendor disclosed that "
                "its accelerators are covered too, and Korvex widened its charge.",
            ),
        ),
        (
            (
                "Entity List: BIS adds Quarrystone Micro over diversion of chips",
                "Final rule 2031-04512: Quarrystone Micro was added for diverting accelerators; "
                "licence applications face a presumption of denial.",
            ),
            (
                "Updated: Quarrystone Micro listing now reaches its resale affiliates",
                "We have updated our note on rule 2031-04512: the listing of Quarrystone Micro "
                "covers affiliates reselling its parts, according to the revised entry.",
            ),
        ),
    ],
)
def test_a_sources_update_on_the_same_named_product_joins_its_earlier_item(
    first: tuple[str, str], update: tuple[str, str]
) -> None:
    old, new = cluster.fingerprint(*first), cluster.fingerprint(*update)
    joined, _, why = cluster.best_match(
        new,
        jurisdictions=["US"],
        topics=["export-controls"],
        relevant=True,
        candidates=[_candidate(old, same_source=True, days=2.0)],
    )
    assert joined == 7, why


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            ("BIS adds Quarrystone Micro to the Entity List", "Quarrystone Micro was listed."),
            ("BIS adds Tidewell Systems to the Entity List", "Tidewell Systems was listed."),
        ),
        (
            (
                "Alert: QX90 accelerators now need an export licence",
                "Vendors were told that shipments of the QX90 to listed destinations need a "
                "licence, with a presumption of denial for military end users.",
            ),
            (
                "Alert: quarterly reporting duty for QX90 resellers",
                "Resellers of QX90 boards must file quarterly sales reports naming each "
                "customer, under a separate notice on record-keeping.",
            ),
        ),
    ],
)
def test_a_sources_separate_documents_stay_apart(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    old, new = cluster.fingerprint(*first), cluster.fingerprint(*second)
    joined, _, _ = cluster.best_match(
        new,
        jurisdictions=["US"],
        topics=["export-controls"],
        relevant=True,
        candidates=[_candidate(old, same_source=True, days=2.0)],
    )
    assert joined is None


@pytest.mark.parametrize(
    ("text", "published", "date_name"),
    [
        ("The assembly passed the bill on Thursday.", date(2031, 1, 23), "date:jan-23"),
        ("Officials announced the curbs last Tuesday.", date(2031, 3, 6), "date:mar-4"),
    ],
)
def test_a_weekday_names_the_date_it_falls_on(text: str, published: date, date_name: str) -> None:
    assert date_name in cluster.fingerprint("Report", text, published).names
    assert not any(n.startswith("date:") for n in cluster.fingerprint("Report", text).names)


@pytest.mark.parametrize(
    ("release", "wire", "published"),
    [
        (
            (
                "Framework act takes effect",
                "Sejong, 22 January 2031. The act enters into force today.",
            ),
            (
                "Statute goes live, fines wait",
                "The statute took effect on Wednesday, officials said.",
            ),
            date(2031, 1, 22),
        ),
        (
            (
                "Ministry lists gallium compounds",
                "On 4 March 2031 the ministry listed gallium compounds.",
            ),
            ("Gallium curbs land", "The ministry listed the compounds on Tuesday, traders said."),
            date(2031, 3, 5),
        ),
    ],
)
def test_a_weekday_and_a_stated_date_of_one_day_are_a_shared_name(
    release: tuple[str, str], wire: tuple[str, str], published: date
) -> None:
    a = cluster.fingerprint(*release, published)
    b = cluster.fingerprint(*wire, published)
    assert any(n.startswith("date:") for n in a.names & b.names)
