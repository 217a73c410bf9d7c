"""Telling customers and staff what happened."""

import logging

from shop.audit import record
from shop.clinic import Appointment
from shop.models import Customer, Order

logger = logging.getLogger(__name__)


def welcome(customer: Customer) -> None:
    # Right: ids and derived, non-identifying facts.
    logger.info("welcome mail queued for customer %s", customer.id)
    logger.debug("address length %d, has phone %s", len(customer.email), customer.phone is None)
    logger.info(f"welcome mail queued for {customer.email}")  # mistake: PII005


def shipped(order_id: int) -> None:
    order = Order.objects.get(id=order_id).execute()
    recipient = order.customer.phone
    logger.info("order %s shipped", order.reference)
    print("texting", recipient)  # mistake: PII005


def remind(appointments: list[Appointment]) -> None:
    for appointment in appointments:
        record("reminder", room=appointment.room)
        record("reminder", patient=appointment.patient.full_name)  # mistake: PII005


def failed(customer: Customer, error: Exception) -> None:
    logger.exception("delivery to customer %s failed: %s", customer.id, error)
