"""The PHQ-9 and the GAD-7, word for word, and how they are scored.

Both were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke
and colleagues with an educational grant from Pfizer Inc.; no permission is
required to reproduce, translate, display or distribute them. The published
Icelandic translations are not on this machine, so both are shown in English
(marked lang="en") with a sentence saying so: a home-made translation of a
validated questionnaire would not be the validated questionnaire.

The severity bands are the published ones: PHQ-9 0-4 minimal, 5-9 mild, 10-14
moderate, 15-19 moderately severe, 20-27 severe; GAD-7 0-4 minimal, 5-9 mild,
10-14 moderate, 15-21 severe.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
CHOICES = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
PHQ9_DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you "
    "to do your work, take care of things at home, or get along with other people?"
)
DIFFICULTY_CHOICES = (
    (0, "Not difficult at all"),
    (1, "Somewhat difficult"),
    (2, "Very difficult"),
    (3, "Extremely difficult"),
)

PHQ9, GAD7 = "phq9", "gad7"
MINIMAL, MILD, MODERATE, MODERATELY_SEVERE, SEVERE = (
    "minimal",
    "mild",
    "moderate",
    "moderately_severe",
    "severe",
)
BAND_NAMES = {
    MINIMAL: _("Minimal"),
    MILD: _("Mild"),
    MODERATE: _("Moderate"),
    MODERATELY_SEVERE: _("Moderately severe"),
    SEVERE: _("Severe"),
}


@dataclass(frozen=True, slots=True)
class Instrument:
    key: str
    name: str  # the questionnaire's own name, the same in every language
    title: str  # its English title, shown with lang="en"
    items: tuple[str, ...]
    # (lowest total of the band, band), lowest first.
    bands: tuple[tuple[int, str], ...]
    has_difficulty: bool = False

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)

    def band(self, total: int) -> str:
        found = self.bands[0][1]
        for lowest, band in self.bands:
            if total >= lowest:
                found = band
        return found


INSTRUMENTS = {
    PHQ9: Instrument(
        key=PHQ9,
        name="PHQ-9",
        title="Patient Health Questionnaire (PHQ-9)",
        items=(
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let "
            "yourself or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around "
            "a lot more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
        bands=((0, MINIMAL), (5, MILD), (10, MODERATE), (15, MODERATELY_SEVERE), (20, SEVERE)),
        has_difficulty=True,
    ),
    GAD7: Instrument(
        key=GAD7,
        name="GAD-7",
        title="Generalized Anxiety Disorder (GAD-7)",
        items=(
            "Feeling nervous, anxious or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid as if something awful might happen",
        ),
        bands=((0, MINIMAL), (5, MILD), (10, MODERATE), (15, SEVERE)),
    ),
}
# PHQ-9's item 9 (thoughts of self-harm), as a key in the answers.
ITEM9 = "9"


class AnswerError(ValueError):
    """Answers that cannot be scored: nothing is kept."""


def clean_answers(instrument: Instrument, data: dict[str, object]) -> dict[str, int]:
    """The answers as {"1": 0..3, …} (and "difficulty" for the PHQ-9, optional),
    or AnswerError: an item missing, a value out of range, a key not in the
    questionnaire."""
    keys = {str(n) for n in range(1, len(instrument.items) + 1)}
    allowed = keys | ({"difficulty"} if instrument.has_difficulty else set())
    unknown = set(data) - allowed
    if unknown:
        raise AnswerError(_("The answers do not match this questionnaire. Reload the page."))
    answers: dict[str, int] = {}
    for key in sorted(allowed, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0)):
        raw = data.get(key)
        if raw in (None, ""):
            if key == "difficulty":
                continue
            raise AnswerError(_("Please answer every question."))
        try:
            value = int(str(raw))
        except ValueError:
            raise AnswerError(_("Each answer must be one of the choices given.")) from None
        if not 0 <= value <= 3:
            raise AnswerError(_("Each answer must be one of the choices given."))
        answers[key] = value
    return answers


def score(instrument: Instrument, answers: dict[str, int]) -> tuple[int, str, bool]:
    """Total, band and whether item 9 of the PHQ-9 was answered above 0. The
    PHQ-9's difficulty question is not scored."""
    total = sum(value for key, value in answers.items() if key.isdigit())
    item9 = instrument.key == PHQ9 and answers.get(ITEM9, 0) > 0
    return total, instrument.band(total), item9
