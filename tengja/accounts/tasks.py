from django_tasks import task

from tengja.accounts import services


@task()
def password_reset_send(*, email: str) -> None:
    services.password_reset_send(email=email)


@task()
def email_change_send(*, change_id: int) -> None:
    services.email_change_send(change_id=change_id)
