"""The clinic's records, declared AMSDAL-style."""

from typing import ClassVar, Optional

from amsdal.models import Model, UniqueConstraint
from amsdal.models import PIIStr as Sensitive


class Patient(Model):
    __primary_key__: ClassVar[list[str]] = ["patient_id"]
    __constraints__: ClassVar[list[UniqueConstraint]] = [
        UniqueConstraint(name="uq_patient_insurance", fields=["insurance_number"]),  # mistake: PII004
    ]

    patient_id: str
    insurance_number: Sensitive
    full_name: Sensitive
    ward: Optional[str] = None


class Appointment(Model):
    __primary_key__: ClassVar[list[str]] = ["appointment_id"]

    appointment_id: str
    patient: Optional[Patient] = None
    room: str = ""
