from django_tasks import task

from tengja.notifications import services


@task()
def delivery_send_task(*, delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)
