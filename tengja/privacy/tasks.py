from django_tasks import task

from tengja.privacy import services


@task()
def data_export_build(*, export_id: int) -> None:
    services.data_export_build(export_id=export_id)


@task()
def data_export_discard(*, export_id: int) -> None:
    services.data_export_discard(export_id=export_id)
