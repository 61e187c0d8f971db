"""How people ask: capitals, seats of government, regions, paraphrases and names of acts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.answers.query import ParsedQuery, named_instruments, parse_question

NOW = datetime(2025, 12, 15, 10, 0, tzinfo=UTC)


def _parse(question: str) -> ParsedQuery:
    return parse_question(question, now=NOW, tz=ZoneInfo("UTC"))


def _forms(parsed: ParsedQuery, word: str) -> tuple[str, ...]:
    return next(t.forms for t in parsed.terms if t.text == word)


def test_capitals_name_their_government() -> None:
    assert _parse("anything from Seoul on AI this month?").jurisdictions == ("KR",)
    assert _parse("has Taipei blacklisted Huawei?").jurisdictions == ("TW",)
    assert _parse("what is New Delhi doing on privacy?").jurisdictions == ("IN",)
    assert _parse("what did Abu Dhabi sign?").jurisdictions == ("AE",)
    assert _parse("what is Ottawa funding?").jurisdictions == ("CA",)
    assert _parse("what did Berlin say about cloud?").jurisdictions == ("DE",)


def test_seats_of_government_that_are_not_capitals_name_it_too() -> None:
    assert _parse("what did The Hague order?").jurisdictions == ("NL",)
    assert _parse("what did Brussels adopt?").jurisdictions == ("EU",)
    assert _parse("what did the White House publish?").jurisdictions == ("US",)


def test_other_countries_and_their_capitals_must_be_mentioned_by_an_answer() -> None:
    assert _parse("has Jakarta set up a GPU cloud?").other_places == ("jakarta",)
    assert _parse("what's in New Zealand's AI bill?").other_places == ("new zealand",)
    assert _parse("did Chilean lawmakers pass an AI law?").other_places == ("chilean",)


def test_a_region_favours_its_governments_without_naming_one() -> None:
    asian = _parse("which Asian governments have passed an AI law?")
    assert asian.jurisdictions == ()
    assert {"JP", "KR", "IN"} <= set(asian.favoured_jurisdictions)
    european = _parse("has any European government taken over a chipmaker?")
    assert {"NL", "FR", "DE", "EU"} <= set(european.favoured_jurisdictions)
    # "European" alone still means the EU.
    assert _parse("European AI rules").jurisdictions == ("EU",)


def test_the_way_people_talk_about_controls_searches_the_way_rules_are_written() -> None:
    curbs = _parse("has Washington eased chip curbs?")
    assert "export-controls" in curbs.topics
    assert "controls" in _forms(curbs, "curbs")
    assert "suspended" in _forms(curbs, "eased")
    blacklist = _parse("who did they blacklist?")
    assert "entity list" in _forms(blacklist, "blacklist")


def test_a_law_is_also_an_act_and_amounts_are_written_out() -> None:
    assert "act" in _forms(_parse("what does Tokyo's AI law say?"), "law")
    assert "800 million" in _forms(_parse("why did AMD take an $800m hit?"), "800m")
    assert "1.5 billion" in _forms(_parse("who pledged 1.5bn?"), "1.5bn")


def test_an_instrument_named_in_full_is_one_name_with_its_other_names() -> None:
    assert named_instruments("any news on Canada's Artificial Intelligence and Data Act?") == (
        ("artificial intelligence and data act", "aida"),
    )
    assert named_instruments("what does South Korea's AI Basic Act require?")[0][:2] == (
        "ai basic act",
        "framework act on the development of artificial intelligence",
    )
    # The jurisdiction before it is scope, and one capitalised word is not a name.
    assert named_instruments("has the EU AI Act started?")[0][0] == "ai act"
    assert named_instruments("did the Act pass?") == ()
    parsed = _parse("what does Japan's AI Promotion Act say?")
    assert "promotion" not in [t.text for t in parsed.terms]


def test_a_target_after_for_is_not_the_actor() -> None:
    parsed = _parse("has Washington eased chip curbs for China?")
    assert parsed.jurisdictions == ("US",)
    assert parsed.target_jurisdictions == ("CN",)


def test_words_of_the_asking_are_not_searched() -> None:
    came = _parse("what came out of the Tokyo chip export talks?")
    assert "came" not in [t.text for t in came.terms]
    assert "talks" in [t.text for t in came.terms]
    outright = _parse("which facial recognition uses are banned outright?")
    assert [t.text for t in outright.terms] == ["facial", "recognition", "uses", "banned"]


def test_an_agency_names_the_government_acting_and_is_searched_in_all_its_names() -> None:
    mofcom = _parse("what did MOFCOM announce about graphite?")
    assert mofcom.jurisdictions == ("CN",)
    assert "ministry of commerce" in _forms(mofcom, "mofcom")
    commerce = _parse("has the Commerce Department revoked any licences?")
    assert commerce.jurisdictions == ("US",)
    assert "department of commerce" in _forms(commerce, "commerce department")
    coe = _parse("did the Council of Europe adopt a treaty?")
    assert coe.jurisdictions == ("INTL",)  # not the EU, although "Europe" is in its name
    meity = _parse("what did MeitY notify?")
    assert meity.jurisdictions == ("IN",)


def test_a_jurisdiction_after_a_measure_and_on_is_its_target() -> None:
    curbs = _parse("what's new with chip curbs on China?")
    assert curbs.jurisdictions == ()
    assert curbs.target_jurisdictions == ("CN",)
    sanctions = _parse("did Brussels add sanctions over Russian chip smuggling?")
    assert sanctions.jurisdictions == ("EU",)
    assert sanctions.other_places == ()  # Russia is the target, a word to find
    # "on" without a measure before it is no target: "Seoul's position on Japan".
    assert _parse("what is Seoul's position on Japan?").jurisdictions == ("KR", "JP")


def test_paraphrases_of_what_governments_do_search_the_words_sources_use() -> None:
    seized = _parse("has any government stepped in at a chip firm?")
    assert "took control" in _forms(seized, "stepped")
    assert "companies" in _forms(seized, "firm")
    lifted = _parse("did Washington lift curbs on model exports for allies?")
    assert "suspended" in _forms(lifted, "lift")
    assert "allied" in _forms(lifted, "allies")
    react = _parse("how did London react to the chip deal?")
    assert "response" in _forms(react, "react")
    meeting = _parse("what did the Merz-Macron meeting agree on tech?")
    assert "summit" in _forms(meeting, "meeting")
    assert "technology" in _forms(meeting, "tech")
    sell = _parse("can Nvidia sell the chip to China again?")
    assert "sales" in _forms(sell, "sell")
    assert "resumed" in _forms(sell, "again")


def test_each_word_of_the_vocabulary_is_in_one_synonym_group() -> None:
    from bot.answers.vocabulary import question_vocabulary

    seen: dict[str, tuple[str, ...]] = {}
    for group in question_vocabulary().synonym_groups:
        for word in group:
            assert word not in seen, f"{word!r} in {seen.get(word)} and {group}"
            seen[word] = group


def test_a_phrase_of_the_vocabulary_is_one_term_with_its_synonyms() -> None:
    cut = _parse("did Beijing cut off gallium to American buyers?")
    assert "banned" in _forms(cut, "cut off")
    assert "cut" not in [t.text for t in cut.terms]
    hold = _parse("is the chip tool rule on hold?")
    assert "suspended" in _forms(hold, "on hold")
    delay = _parse("has Brussels pushed back the GPAI duties?")
    assert "postponed" in _forms(delay, "pushed back")


def test_the_object_of_a_measure_is_its_target() -> None:
    stop = _parse("what did Commerce do to stop China getting chips?")
    assert stop.jurisdictions == () and stop.target_jurisdictions == ("CN",)
    assert "getting" not in [t.text for t in stop.terms]
    block = _parse("did Washington block Chinese buyers of lithography tools?")
    assert block.jurisdictions == ("US",) and block.target_jurisdictions == ("CN",)


def test_a_plan_or_strategy_is_named_without_its_owner() -> None:
    assert named_instruments("what's in Trump's AI Action Plan about exports?") == (
        ("ai action plan",),
    )
    assert named_instruments("is Macron's National AI Strategy funded?") == (
        ("national ai strategy",),
    )
    # A lower-case plan is a word to find, not a name.
    assert named_instruments("what's the US plan for selling AI abroad?") == ()


def test_the_verbs_of_policy_news_search_their_paraphrases() -> None:
    passed = _parse("has Tokyo passed its chip subsidy bill?")
    assert "adopted" in _forms(passed, "passed")
    signed = _parse("which governments signed the Vilnius AI pledge?")
    assert "signatories" in _forms(signed, "signed")
    unveiled = _parse("what did Ottawa announce for compute?")
    assert "unveiled" in _forms(unveiled, "announce")
    paying = _parse("how much is Riyadh paying for GPUs?")
    assert "investment" in _forms(paying, "paying")


def test_the_searched_line_says_which_places_are_actors_targets_or_a_region() -> None:
    curbs = _parse("has Washington eased chip curbs on China?").describe()
    assert "jurisdictions: US; aimed at: CN" in curbs
    asian = _parse("which Asian governments passed an AI law?").describe()
    assert "favouring: " in asian and "KR" in asian.split("favouring: ")[1]
    assert "jurisdictions" not in asian


def test_leaders_name_their_government_and_joined_names_are_apart() -> None:
    meeting = _parse("what came out of the Merz-Macron dinner?")
    assert set(meeting.jurisdictions) == {"DE", "FR"}
    assert {"merz", "macron"} <= {t.text for t in meeting.terms}  # searched as names too
    deal = _parse("what is in the US-UAE chip deal?")
    assert deal.jurisdictions == ("US", "AE")
    starmer = _parse("what did Starmer say about sovereign compute?")
    assert starmer.jurisdictions == ("UK",)
    # A code with digits stays whole.
    assert "kestrel-12" in [t.text for t in _parse("is the kestrel-12 chip controlled?").terms]
