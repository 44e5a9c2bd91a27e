"""The e-mail that says a message waits unread (a periodic job: tengja.wiring's
`periodic` command, every minute in the documented setups).

The rule, per side of a conversation (its client, its professional):

- something waits unread: the newest message is the other side's and came
  after this side's read mark (messaging.selectors.unread_for, the header's count);
- it has waited: a message of the other side's, not removed, sent after the
  read mark, is at least MESSAGE_EMAIL_AFTER_SECONDS old (the *first* unread
  one: a stream of messages does not keep putting the e-mail off);
- it is a new unread stretch: no e-mail yet (`<side>_emailed_at` null), or no
  message of this stretch (the other side's, after the read mark) was there
  when the last one went. So one e-mail per stretch, however many messages it
  holds, and none again until they have read. (Read marks stop at the newest
  message the reader's page showed, not at the time of reading, so the rule
  asks the messages, not the marks' times.)

A side is claimed with one conditional UPDATE that repeats the first and last
conditions (healthchecks' "optimistic lock"): of two workers, one sets
`emailed_at` and sends; the other updates nothing. A read between the look and
the claim also leaves nothing to claim.

A claimed side whose person does not want the e-mail (MessagePreferences),
whose account is inactive or erased, is not e-mailed: the claim stays, so
turning the e-mail back on does not send an old stretch. A closed conversation
is still e-mailed about: what the professional wrote before closing (often how
to reach them otherwise) waits to be read, and nothing new can come.

The e-mail says only *that* a message waits, with a link to sign in: never its
text, never a file's name, and never who wrote it. An inbox is not always read
by its owner alone (a work address an employer can open, a family's shared
address, a practice's assistant reading a professional's mail): the name of
one's psychologist, or of one's client, tells such a reader about therapy. It
names the product, as every Tengja e-mail does. SECURITY.md says the same.
Its rate is bounded by the rule: one e-mail per stretch, and a stretch ends
only when the recipient reads.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.lib.emails import email_send
from tengja.messaging.models import Conversation, Message
from tengja.messaging.preferences import email_unread_wanted

Role = Booking.Role
# At most this many conversations per side and run (the next run takes the rest).
BATCH = 500
# Before any message: stands for "never read" in a comparison.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _other(side: str) -> str:
    return Role.PROFESSIONAL if side == Role.CLIENT else Role.CLIENT


def _claimable(side: str) -> Q:
    """Unread on `side` and not yet e-mailed about since `side` last read."""
    read, emailed = f"{side}_read_at", f"{side}_emailed_at"
    unread = Q(**{f"{read}__isnull": True}) | Q(last_message_at__gt=F(read))
    told = Exists(
        Message.objects.filter(
            conversation=OuterRef("pk"),
            sender_role=_other(side),
            created_at__gt=Coalesce(OuterRef(read), Value(LONG_AGO)),
            created_at__lte=OuterRef(emailed),
        )
    )
    new_stretch = Q(**{f"{emailed}__isnull": True}) | ~Q(told)
    return Q(last_sender_role=_other(side)) & unread & new_stretch


def _waited(side: str, cutoff: datetime) -> Exists:
    """A message of the other side's, after `side`'s read mark, sent by `cutoff`."""
    return Exists(
        Message.objects.filter(
            conversation=OuterRef("pk"),
            sender_role=_other(side),
            removed_at=None,
            created_at__lte=cutoff,
            created_at__gt=Coalesce(OuterRef(f"{side}_read_at"), Value(LONG_AGO)),
        )
    )


def messages_email_due(*, now: datetime | None = None) -> int:
    """E-mail each person with a message waiting unread long enough, once per
    unread stretch (see the module's docstring). Returns how many were sent."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.MESSAGE_EMAIL_AFTER_SECONDS)
    sent = 0
    for side in (Role.CLIENT, Role.PROFESSIONAL):
        due = (
            Conversation.objects.filter(_claimable(side), _waited(side, cutoff))
            .order_by("last_message_at")
            .values_list("pk", flat=True)[:BATCH]
        )
        for pk in list(due):
            sent += _claim_and_send(pk=pk, side=side, now=now)
    return sent


def _claim_and_send(*, pk: int, side: str, now: datetime) -> int:
    with transaction.atomic():
        claimed = Conversation.objects.filter(_claimable(side), pk=pk).update(
            **{f"{side}_emailed_at": now}
        )
        if not claimed:
            return 0  # another worker sent it, or they have just read
        conversation = Conversation.objects.select_related("client", "professional__user").get(
            pk=pk
        )
        person: User = (
            conversation.client if side == Role.CLIENT else conversation.professional.user
        )
        if not person.is_active or person.erased_at or not email_unread_wanted(user=person):
            return 0  # claimed all the same: this stretch is never e-mailed
        email_send(
            template="message-waiting",
            to=person.email,
            # Nothing of the message, nor of who sent it (see above).
            context={
                "user": person,
                "url": _messages_url(),
                "settings_url": settings.SITE_URL + reverse("notifications:settings"),
            },
            language=person.language,
            time_zone=person.time_zone,
        )
        return 1


def _messages_url() -> str:
    return settings.SITE_URL + reverse("messaging:inbox")
