"""The published scoring: every band edge of the PHQ-9 and GAD-7, item 9, and
answers that cannot be scored."""

import pytest

from tengja.measures.instruments import (
    CHOICES,
    GAD7,
    INSTRUMENTS,
    PHQ9,
    STEM,
    AnswerError,
    clean_answers,
    score,
)


def answers_for(total: int, items: int) -> dict[str, int]:
    values = [0] * items
    for i in range(total):
        values[i % items] += 1
    return {str(n): v for n, v in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands(total, band):
    # Item 9 stays 0 (totals up to 24 fit in the first eight items).
    values = answers_for(min(total, 24), 8) | {"9": max(0, total - 24)}
    assert score(INSTRUMENTS[PHQ9], values)[:2] == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total, band):
    assert score(INSTRUMENTS[GAD7], answers_for(total, 7)) == (total, band, False)


def test_the_wording_is_the_published_one():
    phq = INSTRUMENTS[PHQ9]
    assert STEM == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert CHOICES == (
        (0, "Not at all"),
        (1, "Several days"),
        (2, "More than half the days"),
        (3, "Nearly every day"),
    )
    assert len(phq.items) == 9 and phq.max_total == 27
    assert phq.items[0] == "Little interest or pleasure in doing things"
    assert phq.items[8].startswith("Thoughts that you would be better off dead")
    assert len(INSTRUMENTS[GAD7].items) == 7 and INSTRUMENTS[GAD7].max_total == 21
    assert INSTRUMENTS[GAD7].items[0] == "Feeling nervous, anxious or on edge"


def test_item9_and_the_unscored_difficulty():
    phq = INSTRUMENTS[PHQ9]
    given = {str(n): 0 for n in range(1, 10)} | {"9": 1, "difficulty": 3}
    assert score(phq, clean_answers(phq, given)) == (1, "minimal", True)
    assert score(phq, {str(n): 0 for n in range(1, 10)})[2] is False
    # The GAD-7 has no item 9.
    assert score(INSTRUMENTS[GAD7], answers_for(7, 7))[2] is False


@pytest.mark.parametrize(
    "change",
    [
        {"3": ""},  # missing
        {"3": "4"},  # out of range
        {"3": "-1"},
        {"3": "two"},
        {"10": "1"},  # not an item
        {"difficulty": "9"},
    ],
)
def test_answers_that_cannot_be_scored(change):
    phq = INSTRUMENTS[PHQ9]
    given = {str(n): "1" for n in range(1, 10)} | change
    with pytest.raises(AnswerError):
        clean_answers(phq, given)


def test_gad7_has_no_difficulty_question():
    with pytest.raises(AnswerError):
        clean_answers(INSTRUMENTS[GAD7], {str(n): 1 for n in range(1, 8)} | {"difficulty": 1})
