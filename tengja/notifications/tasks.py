from django_tasks import task

from tengja.notifications import services


@task()
def deliveries_send_task() -> dict[str, int]:
    """Send the e-mails that are due (see services.deliveries_send_due)."""
    return dict(services.deliveries_send_due())


@task()
def delivery_send_task(*, delivery_id: int) -> dict[str, int]:
    """Tasks queued before e-mails went in batches (one per e-mail, some weeks
    ahead) still run: each sends what is due. Remove once none is left queued."""
    return dict(services.deliveries_send_due())
