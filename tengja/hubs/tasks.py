from django_tasks import task

from tengja.hubs import services


@task()
def membership_verification_send(*, membership_id: int) -> None:
    services.membership_verification_send(membership_id=membership_id)
