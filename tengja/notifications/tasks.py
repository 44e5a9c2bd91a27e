from django_tasks import task

from tengja.notifications import services


@task()
def deliveries_send_task() -> dict[str, int]:
    """Send the e-mails that are due (see services.deliveries_send_due)."""
    return dict(services.deliveries_send_due())
