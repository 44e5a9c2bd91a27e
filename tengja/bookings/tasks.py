from django_tasks import task

from tengja.bookings import page


@task()
def page_signup_send(*, signup_id: int) -> None:
    page.page_signup_send(signup_id=signup_id)
