"""The dates a text says a development sets, each with its kind and the sentence it came from."""

from __future__ import annotations

from datetime import date

from bot.analysis.dates import extract_dates


def _facts(text: str, published: date | None = None) -> list[tuple[str, date, str]]:
    return [(f.kind, f.day, f.precision) for f in extract_dates(text, published=published)]


def test_takes_effect_and_applies_from_are_effective_dates() -> None:
    assert _facts("The interim measures take effect on 15 August 2023.") == [
        ("effective", date(2023, 8, 15), "day")
    ]
    assert _facts("DATES: The controls apply from October 7, 2022, the date of announcement.") == [
        ("effective", date(2022, 10, 7), "day")
    ]
    assert _facts("The Regulation enters into force twenty days later, on 1 August 2024.") == [
        ("effective", date(2024, 8, 1), "day")
    ]


def test_comments_due_is_a_deadline_and_until_is_an_end() -> None:
    assert _facts("Written comments are now due by January 17, 2024.") == [
        ("deadline", date(2024, 1, 17), "day")
    ]
    assert _facts("Absent a further extension, the suspension ends on November 9, 2026.") == [
        ("ends", date(2026, 11, 9), "day")
    ]
    assert _facts("The measures are suspended until 10 November 2026.") == [
        ("ends", date(2026, 11, 10), "day")
    ]


def test_adopted_and_published_dates_are_told_apart() -> None:
    text = (
        "The Act was passed by the National Assembly on 26 December 2024. "
        "It was published in the Official Journal on 12 July 2024."
    )
    assert _facts(text) == [
        ("adopted", date(2024, 12, 26), "day"),
        ("published", date(2024, 7, 12), "day"),
    ]


def test_a_date_with_no_cue_is_left_out_rather_than_guessed() -> None:
    assert _facts("Exporters compared it with the October 2022 controls.") == []
    assert _facts("Officials met in Seoul on 3 May 2024 to discuss chips.") == []


def test_a_list_item_takes_the_cue_of_the_sentence_introducing_the_list() -> None:
    text = (
        "The Regulation then applies in stages:\n"
        "- 2 February 2025: prohibited AI practices;\n"
        "- 2 August 2026: most remaining obligations."
    )
    assert _facts(text) == [
        ("effective", date(2025, 2, 2), "day"),
        ("effective", date(2026, 8, 2), "day"),
    ]


def test_a_date_without_a_year_takes_the_publication_year_or_the_next() -> None:
    assert _facts("Licences are required from 1 September.", date(2023, 6, 30)) == [
        ("effective", date(2023, 9, 1), "day")
    ]
    # Written in November, "from 1 March" is next March.
    assert _facts("The rules take effect on 1 March.", date(2025, 11, 20)) == [
        ("effective", date(2026, 3, 1), "day")
    ]
    # Without a publication date a year cannot be known: left out.
    assert _facts("The rules take effect on 1 March.") == []


def test_a_month_alone_is_kept_with_month_precision() -> None:
    facts = extract_dates("The law is due to take effect in January 2026.")
    assert [(f.kind, f.day, f.precision) for f in facts] == [
        ("effective", date(2026, 1, 1), "month")
    ]
    assert facts[0].describe() == "takes effect January 2026"


def test_today_is_the_items_own_date() -> None:
    text = "Sejong, 22 January 2026. The Framework Act enters into force today."
    assert ("effective", date(2026, 1, 22), "day") in _facts(text, date(2026, 1, 22))


def test_from_counts_only_right_before_the_date() -> None:
    assert _facts("A letter from the Minister to the House, 14 October 2025.") == []
    assert _facts("From 1 September 2023, companies must apply for a licence.") == [
        ("effective", date(2023, 9, 1), "day")
    ]


def test_each_fact_keeps_its_sentence_and_reads_as_a_phrase() -> None:
    facts = extract_dates("Background first. DATES: Effective September 6, 2024.")
    assert len(facts) == 1
    assert facts[0].sentence == "DATES: Effective September 6, 2024."
    assert facts[0].describe() == "takes effect 6 September 2024"


def test_a_date_something_was_said_on_is_not_when_it_takes_effect() -> None:
    # The cue after a date belongs to the next date when one stands between them.
    assert _facts(
        "The supplier says it was informed on 3 March and told on 11 March that the licence "
        "requirement would take effect at once.",
        date(2025, 3, 20),
    ) == [("effective", date(2025, 3, 11), "day")]
    # A bare "apply" after a date says when something was said, not when it applies.
    assert (
        _facts(
            "In a letter dated 2 May 2024 the regulator confirmed the guidance would apply to "
            "foundation models."
        )
        == []
    )
    # Before its date, it still says when rules apply.
    assert _facts("Most obligations apply 2 August 2026 under the Act.") == [
        ("effective", date(2026, 8, 2), "day")
    ]


def test_a_cue_after_a_date_still_counts_when_no_other_date_intervenes() -> None:
    assert _facts("On 1 August 2024 the AI Act entered into force.") == [
        ("effective", date(2024, 8, 1), "day")
    ]
    assert _facts("From 9 June the new export licence rules take effect.", date(2025, 5, 1)) == [
        ("effective", date(2025, 6, 9), "day")
    ]


def test_dates_are_found_whatever_their_case_and_script_around_them() -> None:
    """Sentences naming no date are skipped before the date pattern runs: the skip must never
    drop a date written in capitals, as an ISO date, or in text that is not plain ASCII."""
    assert _facts("THE CONTROLS TAKE EFFECT ON 1 SEPTEMBER 2026.") == [
        ("effective", date(2026, 9, 1), "day")
    ]
    assert _facts("The rule is effective 2025-03-01 for all exporters.") == [
        ("effective", date(2025, 3, 1), "day")
    ]
    assert _facts(
        "Le règlement (EU) enters into force on 2 août and applies from 2 August 2026."
    ) == [("effective", date(2026, 8, 2), "day")]
    assert ("effective", date(2026, 1, 22), "day") in _facts(
        "The Framework Act enters into force TODAY.", date(2026, 1, 22)
    )
    assert _facts("Comments are due within thirty days; the rule takes effect later.") == []


def test_a_month_spelled_with_a_look_alike_letter_is_no_date_and_no_error() -> None:
    """Ignoring case, the pattern lets "aprıl" (a dotless i) and "ſeptember" (a long s)
    through: they name no month the text can be sure of, and must not stop the item."""
    assert _facts("The rule takes effect on 1 aprıl 2026 and applies from ſeptember 2026.") == []
    assert _facts("The rule takes effect on 1 April 2026.") == [
        ("effective", date(2026, 4, 1), "day")
    ]
