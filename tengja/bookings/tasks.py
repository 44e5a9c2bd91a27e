from django_tasks import task

from tengja.bookings import services


@task()
def invitation_send(*, invitation_id: int, moved_from: str | None = None) -> None:
    services.invitation_send(invitation_id=invitation_id, moved_from=moved_from)
