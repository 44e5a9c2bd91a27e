"""The WHO-5 Wellbeing Index word for word, its bands, and Tengja's own short
alliance scale.

WHO-5 (World Health Organization, 1998; Psychiatric Research Unit, Mental
Health Centre North Zealand): free to use. Five items about the last two
weeks, each 5 ("All of the time") to 0 ("At no time"); the raw score 0-25 times
4 is the percentage 0-100. An Icelandic translation exists but its text is
not included in Tengja, so the English wording is shown (lang="en") on
Icelandic pages too.

Bands, the one place they are set (Topp, Østergaard, Søndergaard & Bech,
"The WHO-5 Well-Being Index: a systematic review of the literature",
Psychother Psychosom 2015;84:167-176): a raw score below 13 (percentage
below 52) indicates poor wellbeing and is the usual screening cut-off for
depression; a raw score of 7 or below (percentage 28 or below) indicates
likely depression. HR's three bands follow: Poor is raw 0-12 (0-48 %),
Moderate 13-17 (52-68 %), Good 18-25 (72-100 %). The upper cut (18, 72 %) is
Tengja's choice: the review gives no cut between moderate and good, and 72 %
is about the general population's mean in the normative studies it cites.

The alliance scale is Tengja's own wording (four items, 1-5, the score is
their mean): not a validated instrument, and deliberately not the SRS or the
WAI-SR, whose wording is copyrighted and licensed.
"""

from django.utils.translation import gettext_lazy as _

WHO5_STEM = "Over the last two weeks"
WHO5_ITEMS = (
    "I have felt cheerful and in good spirits",
    "I have felt calm and relaxed",
    "I have felt active and vigorous",
    "I woke up feeling fresh and rested",
    "My daily life has been filled with things that interest me",
)
WHO5_CHOICES = (
    (5, "All of the time"),
    (4, "Most of the time"),
    (3, "More than half of the time"),
    (2, "Less than half of the time"),
    (1, "Some of the time"),
    (0, "At no time"),
)
WHO5_MAX = 25

POOR, MODERATE, GOOD = "poor", "moderate", "good"
BANDS = (POOR, MODERATE, GOOD)
# (lowest raw score of the band, band), lowest first: see the docstring.
BAND_LOWEST = ((0, POOR), (13, MODERATE), (18, GOOD))
# At or below this raw score (28 %): likely depression (Topp et al. 2015).
LIKELY_DEPRESSION_AT_MOST = 7
BAND_NAMES = {POOR: _("Poor"), MODERATE: _("Moderate"), GOOD: _("Good")}

ALLIANCE_ITEMS = (
    _("I felt heard and respected"),
    _("We worked on what I wanted to work on"),
    _("The way we worked suits me"),
    _("Overall, the session was right for me"),
)
ALLIANCE_CHOICES = (
    (1, _("Not at all")),
    (2, _("A little")),
    (3, _("Somewhat")),
    (4, _("Mostly")),
    (5, _("Completely")),
)


class AnswerError(ValueError):
    """Answers that cannot be scored: nothing is kept."""


def percentage(raw: int) -> int:
    return raw * 4


def band(raw: int) -> str:
    found = POOR
    for lowest, name in BAND_LOWEST:
        if raw >= lowest:
            found = name
    return found


def _clean(data: dict[str, object], count: int, low: int, high: int) -> dict[str, int]:
    keys = {str(n) for n in range(1, count + 1)}
    if set(data) - keys:
        raise AnswerError(_("The answers do not match this questionnaire. Reload the page."))
    answers: dict[str, int] = {}
    for key in sorted(keys, key=int):
        raw = data.get(key)
        if raw in (None, ""):
            raise AnswerError(_("Please answer every question."))
        try:
            value = int(str(raw))
        except ValueError:
            raise AnswerError(_("Each answer must be one of the choices given.")) from None
        if not low <= value <= high:
            raise AnswerError(_("Each answer must be one of the choices given."))
        answers[key] = value
    return answers


def who5_clean(data: dict[str, object]) -> dict[str, int]:
    """{"1": 0..5, …, "5": 0..5} or AnswerError."""
    return _clean(data, len(WHO5_ITEMS), 0, 5)


def alliance_clean(data: dict[str, object]) -> dict[str, int]:
    """{"1": 1..5, …} or AnswerError."""
    return _clean(data, len(ALLIANCE_ITEMS), 1, 5)
