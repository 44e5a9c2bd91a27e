from datetime import timedelta

import factory
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.hubs.models import Company, Hub
from tengja.professionals.models import Professional, SessionType

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    terms_version = "test"
    terms_accepted_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional

    user = factory.SubFactory(UserFactory)
    title = "Psychologist"


class SessionTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionType

    professional = factory.SubFactory(ProfessionalFactory)
    name = factory.Sequence(lambda n: f"Session {n}")
    duration_minutes = 50
    price_amount = 15000
    currency = "ISK"


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    session_type = factory.SubFactory(SessionTypeFactory)
    professional = factory.SelfAttribute("session_type.professional")
    client = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(
        lambda b: b.starts_at + timedelta(minutes=b.session_type.duration_minutes)
    )
    price_amount = factory.SelfAttribute("session_type.price_amount")
    currency = factory.SelfAttribute("session_type.currency")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hub

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Hub {n}")
    welcome_text = "Welcome to our hub."
