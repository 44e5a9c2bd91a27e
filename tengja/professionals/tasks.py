from django_tasks import task

from tengja.professionals import services


@task()
def professional_invitation_send_task(*, invitation_id: int) -> None:
    services.professional_invitation_send(invitation_id=invitation_id)
