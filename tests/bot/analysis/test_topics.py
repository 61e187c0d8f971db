"""Relevance, then topics (bot/analysis/topics.py): a topic needs evidence in the item's own
text. Every example here was written for these tests; each rule has examples from different
developments, and a counter-example where a rule could over-reach."""

from __future__ import annotations

import pytest

from bot.analysis.classify import classify
from bot.analysis.taxonomy import Taxonomy, load_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def _topics(taxonomy: Taxonomy, title: str, text: str) -> list[str]:
    return classify(title, text, taxonomy=taxonomy).topics


def _rules(taxonomy: Taxonomy, title: str, text: str) -> list[str]:
    return list(classify(title, text, taxonomy=taxonomy).evidence["rules"])


# --- a generic word needs its topic's object in its own sentence ---------------------------


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "Privacy rules set breach deadlines and access controls",
            "The technology ministry's new data protection rules require firms to keep access "
            "controls and security safeguards for personal data. Breaches must be reported "
            "within 72 hours, and restrictions on transfers abroad will follow.",
            ["data-protection"],
        ),
        (
            "Order makes developers of powerful models report their training runs",
            "The order requires developers of dual-use foundation models to report training "
            "runs above a compute threshold and to share the results of red-team safety tests "
            "with the government.",
            ["regulation"],
        ),
    ],
)
def test_control_words_without_an_act_of_control_are_no_export_control(
    taxonomy: Taxonomy, title: str, text: str, expected: list[str]
) -> None:
    assert _topics(taxonomy, title, text) == expected


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Seoul tightens licensing for chip equipment",
            "South Korea's trade ministry said exporters of advanced chipmaking equipment will "
            "need a licence for shipments to China from next month.",
        ),
        (
            "Jakarta widens curbs on nickel processing technology",
            "Indonesia will require permits for exports of nickel refining technology and the "
            "related software, the trade ministry said, adding new controls on shipments.",
        ),
    ],
)
def test_control_words_with_an_act_of_control_are_export_control(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["export-controls"]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Investment plan puts 30 billion into data centres and chip design",
            "The government's investment plan earmarks 30 billion for data centres, chip "
            "design and AI skills over five years. The plan includes governance safeguards and "
            "a regulatory sandbox, and private investors are expected to match public funds.",
        ),
        (
            "Two governments sign technology pact on AI and semiconductors",
            "The two governments signed a technology partnership on artificial intelligence "
            "and semiconductors on Tuesday, pledging joint research centres. The deal also "
            "provides for regulatory dialogues and compliance exchanges between agencies.",
        ),
    ],
)
def test_governance_words_in_an_investment_plan_or_a_deal_are_not_ai_regulation(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["sovereignty"]


# --- regulation: a legal instrument about AI itself ----------------------------------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "White House tells agencies to appoint chief officers for automated systems",
            "The President signed an order on Monday directing every federal agency to name a "
            "chief officer for machine learning tools and to publish an inventory of its uses.",
        ),
        (
            "Ten governments sign Strasbourg text on automated decision systems",
            "Ten governments signed a convention on artificial intelligence and human rights on "
            "Thursday, committing to transparency and oversight of public-sector systems.",
        ),
        (
            "Cyberspace regulator issues labelling duties for synthetic media",
            "The regulator issued rules requiring platforms to label AI-generated text, images "
            "and video from September.",
        ),
    ],
)
def test_an_order_treaty_or_rules_about_ai_are_regulation_without_the_taxonomys_phrases(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["regulation"]
    assert any("a legal instrument about AI" in r for r in _rules(taxonomy, title, text))


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "New rules on AI chip shipments take effect",
            "Under the new rules, shipments of AI chips to data centres in 40 countries need a "
            "licence from Friday.",
        ),
        (
            "Ministry publishes rules for exports of advanced processors",
            "Under the rules, shipments of processors used to train large AI models will need "
            "a licence from the trade ministry.",
        ),
    ],
)
def test_rules_on_trade_in_ai_hardware_are_export_control_not_regulation(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["export-controls"]


# --- export control in a sentence's own words ----------------------------------------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Nvidia to resume H20 deliveries to China",
            "The Commerce Department has begun issuing licences that allow Nvidia to resume "
            "sales of its H20 chips to China, the company said on Monday.",
        ),
        (
            "Opinion: the GPU curbs are leaking",
            "Smuggling networks keep moving restricted GPUs into China, and the enforcement "
            "budget has not kept pace.",
        ),
    ],
)
def test_a_controlled_thing_moving_under_a_licence_or_ban_is_export_control(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["export-controls"]


# --- sovereignty: capacity, dependence, strategic control, partnerships --------------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Opinion: a GPU pool is a start, not a strategy",
            "Officials deserve credit for putting money behind AI. A subsidised pool of "
            "processors, open to start-ups and universities, removes the most visible "
            "bottleneck.",
        ),
        (
            "Investment plan puts 12 billion into data centres",
            "The government's investment plan earmarks 12 billion for data centres and AI "
            "research over six years.",
        ),
    ],
)
def test_capacity_paid_for_by_the_state_is_sovereignty(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["sovereignty"]
    assert any("national capacity" in r for r in _rules(taxonomy, title, text))


def test_domestic_products_in_a_market_commentary_are_not_national_capacity(
    taxonomy: Taxonomy,
) -> None:
    rules = _rules(
        taxonomy,
        "Opinion: cutting off inference chips helps local rivals",
        "Each cluster built on imported chips is one not built on domestic accelerators, and "
        "each engineer trained on foreign tools is one less tuning code for local rivals.",
    )
    assert not any("national capacity" in r for r in rules)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Leaders want public bodies off foreign clouds",
            "Europe cannot keep renting its digital backbone from American and Chinese firms, "
            "the two leaders said, promising public contracts for European providers.",
        ),
        (
            "Tokyo adds subsidies for 2nm chip plant",
            "The industry ministry will give a further 800 billion yen to the plant as Tokyo "
            "seeks to reduce its reliance on Taiwanese foundries for advanced chips.",
        ),
    ],
)
def test_a_dependence_on_foreign_suppliers_is_sovereignty(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert "sovereignty" in _topics(taxonomy, title, text)
    assert any("foreign dependence" in r for r in _rules(taxonomy, title, text))


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Rome blocks sale of wafer maker to foreign buyer",
            "The government used its golden power to block the sale of a silicon wafer maker to "
            "a foreign investor, saying production capacity and know-how must remain in Italy.",
        ),
        (
            "Ottawa takes stake in AI chip start-up",
            "The federal government will take a 20 percent stake in a domestic AI chip "
            "start-up, the industry minister said, after foreign buyers approached the firm.",
        ),
        (
            "Ministry takes control of troubled chipmaker",
            "The economy ministry said it could overrule the management of the chipmaker for a "
            "year, citing the risk that know-how would leave the country.",
        ),
    ],
)
def test_a_state_keeping_a_strategic_chip_firm_is_sovereignty(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["sovereignty"]


def test_blocking_chip_sales_to_a_firm_is_export_control_not_sovereignty(
    taxonomy: Taxonomy,
) -> None:
    assert _topics(
        taxonomy,
        "Commerce blocks chip sales to drone maker",
        "The Commerce Department blocked the sale of advanced chips to a drone maker, adding "
        "the company to the Entity List.",
    ) == ["export-controls"]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Paris and Abu Dhabi sign data centre agreement",
            "France and the United Arab Emirates signed a framework agreement on Thursday for a "
            "one-gigawatt AI data centre campus in France.",
        ),
        (
            "Delhi and Tokyo launch AI research partnership",
            "India and Japan launched a partnership on artificial intelligence research on "
            "Monday, with a joint fund for compute and start-ups.",
        ),
    ],
)
def test_an_ai_partnership_agreed_between_governments_is_sovereignty(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["sovereignty"]
    assert any("partnership between governments" in r for r in _rules(taxonomy, title, text))


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Opinion: standing with Washington was the choice",
            "By standing beside the United States rather than France, ministers signalled which "
            "partnership they consider indispensable for compute and security.",
        ),
        (
            "Washington and Beijing agree to pause chip curbs",
            "The United States and China agreed a deal to pause new export controls on chips "
            "and rare earths for a year.",
        ),
    ],
)
def test_a_partnership_named_in_passing_or_an_export_truce_is_not_an_ai_partnership(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert not any("partnership between governments" in r for r in _rules(taxonomy, title, text))


# --- what the item is about: the title and lede ---------------------------------------------

_FILLER = (
    " Officials said the details would follow in the coming weeks, after talks with the "
    "companies concerned and with partners in the region. Analysts expect the measures to be "
    "reviewed within a year, and industry groups asked for clear guidance on the timetable."
)


@pytest.mark.parametrize(
    ("title", "text", "expected", "dropped"),
    [
        (
            "Ministry takes control of chipmaker to keep know-how at home",
            "The economy ministry said it could overrule the management of the chipmaker for a "
            "year, citing the risk that production capacity would leave the country."
            + _FILLER * 2
            + " The parent company was placed on a US trade blacklist last year.",
            ["sovereignty"],
            "export-controls",
        ),
        (
            "Parliament passes law on artificial intelligence",
            "Parliament passed a law on artificial intelligence that requires providers of "
            "high-risk AI systems to assess risks before deployment."
            + _FILLER * 2
            + " One member called the AI vote a matter of sovereignty.",
            ["regulation"],
            "sovereignty",
        ),
    ],
)
def test_a_topic_named_once_below_a_lede_about_another_is_secondary(
    taxonomy: Taxonomy, title: str, text: str, expected: list[str], dropped: str
) -> None:
    assert _topics(taxonomy, title, text) == expected
    assert any(
        r.startswith(f"{dropped}:") and "below the lede" in r for r in _rules(taxonomy, title, text)
    )


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "The door that closed too early",
            "It is easy to cheer a tough decision and harder to count its cost."
            + _FILLER * 2
            + " Export controls on a mid-range chip hand rivals a captive market.",
            ["export-controls"],
        ),
        (
            "Money is not the same as control",
            "The pledges collected last week are a real achievement, and nobody should say "
            "otherwise." + _FILLER * 2 + " But without its own chips, the country's sovereign "
            "AI ambitions rest on someone else's hardware.",
            ["sovereignty"],
        ),
    ],
)
def test_a_commentary_whose_lede_states_no_topic_is_read_in_its_body(
    taxonomy: Taxonomy, title: str, text: str, expected: list[str]
) -> None:
    assert _topics(taxonomy, title, text) == expected


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Data protection bill completes its passage",
            "The data protection bill completed its passage, changing rules on automated "
            "decision-making, cookies and data access for researchers.",
        ),
        (
            "Privacy law amended to cover profiling",
            "The amended privacy law tightens rules on algorithmic profiling of personal data "
            "and sets new fines for breaches.",
        ),
    ],
)
def test_a_data_laws_rules_on_automated_decisions_are_data_protection_not_ai_regulation(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["data-protection"]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Order opens federal sites to data centre builders",
            "The President signed an executive order letting developers lease federal land for "
            "artificial intelligence data centres, with permits fast-tracked.",
        ),
        (
            "Telecom groups pledge GPU clusters at home",
            "The country's three largest telecom groups pledged to build GPU clusters at home "
            "for local AI developers, the digital ministry said.",
        ),
    ],
)
def test_capacity_on_public_land_or_at_home_is_national_capacity(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert "sovereignty" in _topics(taxonomy, title, text)
    assert any("national capacity" in r for r in _rules(taxonomy, title, text))


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Commerce awards 4 billion for two Texas fabs",
            "The Commerce Department awarded up to 4 billion dollars under the CHIPS Act for two "
            "fabs in Texas, saying they would bring leading-edge production home.",
        ),
        (
            "METI adds subsidies for Hokkaido foundry",
            "METI will grant a further 500 billion yen to the foundry project in Hokkaido, the "
            "ministry said on Tuesday.",
        ),
    ],
)
def test_a_state_paying_for_chip_plants_is_national_capacity(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    assert _topics(taxonomy, title, text) == ["sovereignty"]


def test_investment_named_among_a_partnerships_aims_pays_for_no_capacity(
    taxonomy: Taxonomy,
) -> None:
    rules = _rules(
        taxonomy,
        "Opinion: London chose its partner",
        "By standing beside the United States rather than France, ministers showed which "
        "partnership they consider vital for compute, investment and security.",
    )
    assert not any("national capacity" in r for r in rules)


def test_canadas_ai_and_data_act_is_an_ai_law_not_a_data_law(taxonomy: Taxonomy) -> None:
    assert _topics(
        taxonomy,
        "Ottawa's AI bill lapses",
        "The Artificial Intelligence and Data Act lapsed when Parliament was prorogued; it "
        "would have set duties for high-impact systems.",
    ) == ["regulation"]


# --- relevance: a government's plan for AI is AI policy ------------------------------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Government publishes national AI strategy",
            "The strategy sets out plans for skills, research and the adoption of artificial "
            "intelligence in public services, the digital minister said.",
        ),
        (
            "Nairobi unveils five-year plan for artificial intelligence",
            "The cabinet approved a five-year plan to expand the use of artificial intelligence "
            "in farming, health and schools.",
        ),
    ],
)
def test_a_governments_plan_for_ai_with_no_other_topic_is_ai_policy(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.topics == ["sovereignty"]
    assert any("a government's plan for AI" in r for r in result.evidence["rules"])


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "Retailer unveils AI plan for its stores",
            "The retailer unveiled a plan to use artificial intelligence to manage stock.",
            [],
        ),
        (
            "Parliament passes AI act; national AI strategy to follow",
            "Parliament passed an act on artificial intelligence that obliges the government to "
            "adopt a national AI strategy and sets transparency duties for providers.",
            ["regulation"],
        ),
    ],
)
def test_a_plan_by_a_firm_or_beside_another_topic_adds_no_sovereignty(
    taxonomy: Taxonomy, title: str, text: str, expected: list[str]
) -> None:
    assert _topics(taxonomy, title, text) == expected
