"""What the API accepts and answers."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from pii_guard import PIIStr

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, less its angle brackets
MAX_PHONE_LENGTH = 32


class Registration(BaseModel):
    email: PIIStr = Field(max_length=MAX_EMAIL_LENGTH)
    phone: PIIStr | None = Field(default=None, max_length=MAX_PHONE_LENGTH)

    @field_validator("email")
    @classmethod
    def _looks_like_an_address(cls, value: str) -> str:
        value = value.strip()
        local, at, domain = value.rpartition("@")
        if not (local and at and domain) or any(character.isspace() for character in value):
            raise ValueError("not an e-mail address")  # no value in the message
        return value


class UserOut(BaseModel):
    id: int
    email: PIIStr
    phone: PIIStr | None
