"""The forms Tengja ships for a professional to start from: a telehealth
informed consent and a general intake.

Written as a careful clinic would, in the professional's voice; they are a
starting point the professional reads and changes, not legal advice. The text
is translated like the rest of Tengja, so each is made in the language active
when it is called (builder.form_from_template picks the professional's).
"""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tengja.intake.models import IntakeForm

Kind = IntakeForm.FieldKind


def _paragraphs(*parts: str) -> str:
    return "\n\n".join(parts)


def telehealth_consent() -> dict[str, Any]:
    return {
        "kind": IntakeForm.Kind.CONSENT,
        "title": _("Consent to video sessions"),
        "body": _paragraphs(
            _(
                "Our sessions take place by video on Tengja. Please read this before our "
                "first session, ask me about anything that is unclear, and sign below if "
                "you agree."
            ),
            _(
                "Video sessions: we talk in a video call, as we would in a room. It suits "
                "most people and most concerns, but not every situation. If I believe that "
                "meeting in person or another service would serve you better, I will tell "
                "you and help you find it."
            ),
            _(
                "Privacy and confidentiality: what you tell me stays between us. The call "
                "goes directly between our devices and is not stored by Tengja. My notes "
                "are kept securely and shown to nobody without your consent. Please join "
                "from a private place where nobody can overhear you, and I will do the same."
            ),
            _(
                "The limits of confidentiality: I must break confidentiality when the law "
                "requires it, such as when I believe that you or someone else is in serious "
                "danger, when a child may be at risk of harm, or when a court orders it. If "
                "that happens, I will tell you first whenever I can."
            ),
            _(
                "If the connection drops: I will try to reconnect through Tengja for up to "
                "ten minutes. If we cannot reconnect, I will call you on the phone number "
                "you give below, and together we will finish the session by phone or book "
                "the rest of it for another time, at no extra cost to you."
            ),
            _(
                "Emergencies: these sessions are not an emergency service. If you are in "
                "danger or think you might harm yourself, call 112 (the emergency line in "
                "Iceland) or go to the nearest emergency department. The Red Cross helpline "
                "1717 answers day and night, by phone and online chat at 1717.is. At the "
                "start of each session I may ask where you are, so that I can send help "
                "there if it is needed."
            ),
            _(
                "Recording: neither of us may record the sessions (sound, picture or "
                "screen) without the written consent of the other."
            ),
            _(
                "Your right to withdraw: taking part is your choice. You may withdraw this "
                "consent and stop our sessions at any time, without giving a reason. "
                "Withdrawing does not affect what happened before it."
            ),
        ),
        "fields": [
            {
                "key": "location",
                "kind": Kind.SHORT_TEXT,
                "label": _("Where will you usually be during our sessions?"),
                "help": _(
                    "Town and street address. In an emergency during a session, I need to "
                    "know where to send help."
                ),
                "required": True,
            },
            {
                "key": "phone",
                "kind": Kind.SHORT_TEXT,
                "label": _("A phone number I can call if the connection drops"),
                "help": "",
                "required": True,
            },
            {
                "key": "emergency_contact",
                "kind": Kind.SHORT_TEXT,
                "label": _("Someone I may contact in an emergency (name and phone number)"),
                "help": "",
                "required": False,
            },
            {
                "key": "understood",
                "kind": Kind.YES_NO,
                "label": _(
                    "I have read this information and have had the chance to ask questions "
                    "about it."
                ),
                "help": "",
                "required": True,
            },
        ],
    }


def general_intake() -> dict[str, Any]:
    return {
        "kind": IntakeForm.Kind.INTAKE,
        "title": _("Before our first session"),
        "body": _(
            "These questions help me prepare for our first session. Answer what you are "
            "comfortable with: we can talk about all of it when we meet. Only I see your "
            "answers."
        ),
        "fields": [
            {
                "key": "reason",
                "kind": Kind.LONG_TEXT,
                "label": _("What brings you here?"),
                "help": _("In your own words, as much or as little as you like."),
                "required": True,
            },
            {
                "key": "since",
                "kind": Kind.CHOICE,
                "label": _("How long has this affected you?"),
                "help": "",
                "required": False,
                "choices": [
                    _("Less than a month"),
                    _("One to six months"),
                    _("Six months to a year"),
                    _("More than a year"),
                ],
            },
            {
                "key": "wellbeing",
                "kind": Kind.SCALE,
                "label": _("How have you felt over the past two weeks?"),
                "help": _("0 is very bad, 10 is very good."),
                "required": False,
                "min": 0,
                "max": 10,
            },
            {
                "key": "hopes",
                "kind": Kind.LONG_TEXT,
                "label": _("What do you hope will be different after our sessions?"),
                "help": "",
                "required": False,
            },
            {
                "key": "previous_help",
                "kind": Kind.YES_NO,
                "label": _(
                    "Have you had help from a psychologist, therapist or counsellor before?"
                ),
                "help": "",
                "required": False,
            },
            {
                "key": "previous_help_details",
                "kind": Kind.LONG_TEXT,
                "label": _("If so: when, and what helped or did not help?"),
                "help": "",
                "required": False,
            },
            {
                "key": "medication",
                "kind": Kind.LONG_TEXT,
                "label": _("Do you take any medication? If so, which and how much?"),
                "help": "",
                "required": False,
            },
            {
                "key": "gp",
                "kind": Kind.SHORT_TEXT,
                "label": _("Your family doctor or health centre"),
                "help": "",
                "required": False,
            },
            {
                "key": "last_doctor_visit",
                "kind": Kind.DATE,
                "label": _("When did you last see a doctor about this?"),
                "help": _("Leave it empty if you have not."),
                "required": False,
            },
            {
                "key": "heard",
                "kind": Kind.CHOICE,
                "label": _("How did you hear about me?"),
                "help": "",
                "required": False,
                "choices": [
                    _("A friend or relative"),
                    _("A doctor or health centre"),
                    _("My employer"),
                    _("A web search"),
                    _("Social media"),
                    _("Other"),
                ],
            },
            {
                "key": "anything_else",
                "kind": Kind.LONG_TEXT,
                "label": _("Is there anything else you would like me to know before we meet?"),
                "help": "",
                "required": False,
            },
        ],
    }


# The templates offered on "New form", in that order: key -> (name, what it
# is, how to make it).
TEMPLATES: dict[str, Callable[[], dict[str, Any]]] = {
    "telehealth_consent": telehealth_consent,
    "general_intake": general_intake,
}
TEMPLATE_DESCRIPTIONS = {
    "telehealth_consent": (
        gettext_lazy("Telehealth consent"),
        gettext_lazy(
            "What video sessions are, confidentiality and its limits, a dropped "
            "connection, emergencies (1717, 112), no recording, and the right to "
            "withdraw. Your client signs it by typing their full name."
        ),
    ),
    "general_intake": (
        gettext_lazy("General intake"),
        gettext_lazy(
            "Reason for coming, what they hope for, previous help, medication, their "
            "doctor, and how they heard of you."
        ),
    ),
}
