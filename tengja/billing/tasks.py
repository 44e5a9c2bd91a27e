from django_tasks import task

from tengja.billing import services


@task()
def refund_send_task(*, refund_id: int) -> str:
    return services.refund_send(refund_id=refund_id)
