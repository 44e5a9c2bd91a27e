"""The note templates Tengja ships: SOAP, DAP and BIRP, as clinicians know them.

Each is headings with a short prompt under each, written in the professional's
language when a note starts from it (notes.services.note_start). The
professional writes over the prompts.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

Sections = list[tuple[str, str]]


def _text(sections: Sections) -> str:
    return "\n\n".join(f"{heading}\n{prompt}" for heading, prompt in sections)


def soap() -> str:
    return _text(
        [
            (
                _("Subjective"),
                _("What the client said: concerns, feelings, events since last time."),
            ),
            (_("Objective"), _("What you observed: appearance, mood and affect, behaviour.")),
            (_("Assessment"), _("Your clinical view: progress, risk, what has changed.")),
            (_("Plan"), _("Next steps: interventions, homework, next session.")),
        ]
    )


def dap() -> str:
    return _text(
        [
            (_("Data"), _("What the client said and what you observed.")),
            (_("Assessment"), _("Your clinical view: progress, risk, what has changed.")),
            (_("Plan"), _("Next steps: interventions, homework, next session.")),
        ]
    )


def birp() -> str:
    return _text(
        [
            (_("Behaviour"), _("What the client said and did; how they presented.")),
            (_("Intervention"), _("What you did: methods and techniques used.")),
            (_("Response"), _("How the client responded to the intervention.")),
            (_("Plan"), _("Next steps: homework, referrals, next session.")),
        ]
    )


SHIPPED: dict[str, tuple[object, Callable[[], str]]] = {
    "soap": (gettext_lazy("SOAP (Subjective, Objective, Assessment, Plan)"), soap),
    "dap": (gettext_lazy("DAP (Data, Assessment, Plan)"), dap),
    "birp": (gettext_lazy("BIRP (Behaviour, Intervention, Response, Plan)"), birp),
}
