"""Finding customers, orders and patients."""

from pii_guard import lookup_values

from shop import models
from shop.clinic import Appointment, Patient
from shop.models import Customer, Order


def find_customer(address: str) -> Customer:
    # Right: filter on the address's lookup, one value per active index key version.
    return Customer.objects.get(email_lookup__in=lookup_values(Customer, "email", address))


def find_customer_naively(address: str) -> Customer:
    return Customer.objects.get(email=address)  # mistake: PII001


def orders_for(address: str) -> list[Order]:
    return Order.objects.filter(customer__email=address).execute()  # mistake: PII001


def orders_for_customer(customer_id: int) -> list[Order]:
    return Order.objects.filter(customer__id=customer_id).order_by("-id").execute()


def customer_directory() -> list[Customer]:
    everyone = models.Customer.objects.all()
    return everyone.order_by("display_name", "-email").execute()  # mistake: PII002


def patients_without_insurance() -> list[Patient]:
    # Right: isnull works on ciphertext.
    return Patient.objects.filter(insurance_number__isnull=True).execute()


def todays_appointments(insurance_number: str) -> list[Appointment]:
    return Appointment.objects.filter(patient__insurance_number=insurance_number).execute()  # mistake: PII001
