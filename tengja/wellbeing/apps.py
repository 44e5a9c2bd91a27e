from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WellbeingConfig(AppConfig):
    """The WHO-5 Wellbeing Index and the Alliance Score for Wellbeing Hubs (issue 30).

    Members of a hub are asked every 2 or 3 weeks (the hub's setting) to answer
    the WHO-5, shown in the WHO's English wording (marked lang="en") on
    Icelandic pages too: an Icelandic translation exists but its text is not
    included in Tengja, and a home-made one would not be the validated index.
    After a session paid with hub credits the member may rate their working
    bond with the professional on Tengja's own short scale (not a validated
    instrument). A member sees their own answers and may share the index with
    their professionals; HR sees aggregates of ended months only, each behind
    at least HUB_REPORTING_MIN_GROUP respondents; a professional sees their own
    average alliance score with the same minimum. It sits beside
    notifications, above hubs and measures."""

    name = "tengja.wellbeing"
    verbose_name = _("Wellbeing index")
