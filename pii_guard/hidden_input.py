"""Validation errors without their input: what `PIIModel` and `PIIStr` raise instead of
pydantic's own `ValidationError`, whose `.errors()` and `.json()` quote every input.

pydantic's `hide_input_in_errors` only changes `str(error)`, and only for the model that sets
it: a `PIIModel` validated inside a plain model or a `TypeAdapter` (a request body of
`list[Customer]`) would show its input in every rendering. The error raised here carries
`HIDDEN_INPUT` in place of each input, in messages that quoted it, and in place of the
exceptions a validator raised (whose frames hold the input); an enclosing model or adapter
copies these line errors as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

HIDDEN_INPUT = "<PII hidden>"


def validate_hiding_input(validate: Callable[[Any], Any], value: Any) -> Any:
    """`validate(value)`, raising a ValidationError that holds no input when it fails.

    For wrap validators: pydantic turns the error raised here into line errors of its own
    ValidationError, so neither this frame nor pydantic's error reaches the caller.
    """
    try:
        return validate(value)
    except ValidationError as error:
        raise without_input(error) from None


def without_input(error: ValidationError) -> ValidationError:
    """A copy of `error` with every input, quoted input and validator exception hidden."""
    details = [_hidden(detail) for detail in error.errors(include_url=False)]
    return ValidationError.from_exception_data(error.title, details, hide_input=True)


def _hidden(detail: Any) -> InitErrorDetails:
    given = detail.get("input")
    message: str = detail["msg"]
    context: dict[str, Any] | None = detail.get("ctx")
    quoted = isinstance(given, str) and given != "" and given != HIDDEN_INPUT
    if quoted and (
        given in message or any(given in str(item) for item in (context or {}).values())
    ):
        return _custom(detail["type"], message.replace(given, HIDDEN_INPUT), detail["loc"])
    if context is not None:
        # A validator's exception carries a traceback whose frames hold the input.
        context = {
            name: _without_traceback(item) if isinstance(item, Exception) else item
            for name, item in context.items()
        }
    try:
        # A built-in error type keeps its type, message template, context and docs link.
        ValidationError.from_exception_data(
            "check",
            [InitErrorDetails(type=detail["type"], loc=(), input=None, ctx=context or {})],
        )
    except (KeyError, TypeError, ValueError):
        return _custom(detail["type"], message, detail["loc"])
    known = InitErrorDetails(type=detail["type"], loc=detail["loc"], input=HIDDEN_INPUT)
    if context:
        known["ctx"] = context
    return known


def _without_traceback(error: Exception) -> Exception:
    try:
        return type(error)(str(error))
    except Exception:  # a constructor of another shape (UnicodeDecodeError, ...)
        return ValueError(str(error))


def _custom(kind: str, message: str, loc: Any) -> InitErrorDetails:
    # No context: the message is final, and braces in it are not placeholders.
    return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=HIDDEN_INPUT)
