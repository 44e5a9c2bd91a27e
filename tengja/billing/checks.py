"""Payments fail closed: a production server with no way to take real money, or
with fake money taken for real, must not start, and `check --deploy` says why."""

import logging

from django.conf import settings
from django.core import checks

STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


def payment_problems() -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    if settings.PAYMENT_PROVIDER == "stripe":
        missing = [key for key in STRIPE_KEYS if not getattr(settings, key)]
        if missing:
            problems.append(
                checks.Error(
                    f"Payments go through Stripe, but {', '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} not set.",
                    hint="Set Stripe's keys (see README), or in development leave DEBUG on.",
                    id="tengja.E001",
                )
            )
    elif not settings.DEBUG:
        if not settings.DEMO_FAKE_PAYMENTS:
            problems.append(
                checks.Error(
                    "PAYMENT_PROVIDER=local takes no money: it must not run with DEBUG off.",
                    hint="Set Stripe's keys, or for a demo set DEMO_FAKE_PAYMENTS=true as well.",
                    id="tengja.E002",
                )
            )
        else:
            problems.append(
                checks.Warning(
                    "DEMO_FAKE_PAYMENTS is on: cards are fake and no money moves.",
                    hint="For a demo only. Real clients pay through Stripe.",
                    id="tengja.W001",
                )
            )
    return problems


def refuse_to_start_on_payment_problems() -> None:
    """For the servers (tengja.asgi, tengja.wsgi) as they start: one that cannot take
    real money, or would take fake money for real, does not start; one running a
    demo with fake payments says so loudly."""
    for problem in payment_problems():
        if problem.is_serious():
            raise RuntimeError(f"Tengja will not start: {problem.msg} {problem.hint}")
        logging.getLogger("tengja").warning("%s %s", problem.msg, problem.hint)


@checks.register(checks.Tags.security, deploy=True)
def check_payments(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return payment_problems()
