"""The storage boundary: rows with ciphertext out of live instances, stored rows back in.

`encrypt_pii` sends every PII value of every instance to the cryptor in ONE call; `load_pii`
is the only way stored text becomes `EncryptedStr`; `decrypt_pii` gives plaintext copies in
ONE call. Live instances are never changed. Each value is bound to where it sits (by default
`Model.field` of the declaring model), so a value moved elsewhere fails authentication.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError

from pii_guard.binding import ContextFunction, ValueSite, binding_for, field_context
from pii_guard.blindindex import LookupWriter, bound_lookups, remember_loaded_lookups
from pii_guard.config import get_cryptor
from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import (
    FORGET_SECRETS,
    PIIDecryptionError,
    PIIEncryptionError,
    PIIUsageError,
)
from pii_guard.rowcheck import check_row
from pii_guard.types import (
    MASK,
    STORED_KEY,
    EncryptedStr,
    StoredOrigin,
    bind_origin,
    stored_value,
)
from pii_guard.walk import SET_MEMBER, Path, map_row, value_at
from pii_guard.wire import is_wire_value, looks_like_wire_value

ModelT = TypeVar("ModelT", bound=BaseModel)


class _AsRead(enum.Enum):
    CONTEXT = "the context the values were read with"


AS_READ = _AsRead.CONTEXT
"""`rewrap`'s default `to_context`: bind the new ciphertext as the old one was bound."""


def load_pii(
    model: type[ModelT],
    rows: Iterable[Any],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
    allow_plaintext: bool = False,
) -> list[ModelT]:
    """Instances of `model` from stored rows, each PII value an `EncryptedStr` (no cryptor call).

    Every PII value must be a stored value of `cryptor` (default: the process's cryptor);
    one that is not (truncated, padded, another format) raises `PIIDecryptionError` naming
    the model, field and row position, never the value. With `allow_plaintext=True`, values
    written before the field was PII are accepted as plaintext (and encrypted on the next
    save), but text in a stored shape that does not parse is still an error.
    """
    if isinstance(rows, BaseModel | dict):
        raise PIIUsageError("pass a list of stored rows, not a single row")
    chosen = cryptor if cryptor is not None else get_cryptor()
    bind = binding_for(context, chosen)
    marker = StoredOrigin(bound=False)  # this call's own: only values it made get bound
    token = cryptor_token(chosen)
    origins: dict[str | None, StoredOrigin] = {}  # one per context: values share them
    loaded = []
    for position, row in enumerate(rows):
        instance = _validate_row(model, row, position, marker)

        def check(
            value: str, site: ValueSite, path: Path, position: int = position, row: Any = row
        ) -> str:
            if isinstance(value, EncryptedStr) and value.origin not in (None, marker):
                return value  # loaded earlier, and passed in as it was
            # Anything else here was read from the row, even if a validator made it a str.
            text = str.__str__(value)
            fresh = isinstance(value, EncryptedStr) and value.origin is marker
            if not fresh and isinstance(row, Mapping):
                # Not the object PIIStr made from the stored text: a validator may have
                # changed it, and a changed ciphertext must never be written back.
                found, raw = value_at(row, path)
                if found and isinstance(raw, str) and raw != text:
                    raise PIIDecryptionError(
                        "a validator changed the stored text (validators of PII fields must "
                        "leave stored values alone)",
                        position,
                        field=f"{site.owner.__name__}.{site.field}",
                    )
            try:
                is_stored = stored_or_legacy(
                    text, chosen, allow_plaintext, "pass allow_plaintext=True for legacy plaintext"
                )
            except PIIDecryptionError as error:
                where = f"{site.owner.__name__}.{site.field}"
                raise PIIDecryptionError(error.reason, position, field=where) from None
            if not is_stored:
                return text  # legacy plaintext: a plain str, encrypted on the next save
            origin = origins.get(context := None if bind is None else bind(site))
            if origin is None:
                origin = origins[context] = StoredOrigin(True, context, token)
            if isinstance(value, EncryptedStr) and fresh:
                bind_origin(value, origin)
                return value
            return stored_value(text, origin)

        instance = cast(ModelT, map_row(instance, check))
        remember_loaded_lookups(instance)
        loaded.append(instance)
    return loaded


def stored_or_legacy(text: str, cryptor: Cryptor, allow_plaintext: bool, hint: str) -> bool:
    """Whether stored text is a stored value of `cryptor` (True) or, where allowed, legacy
    plaintext (False); anything else raises `PIIDecryptionError` (the caller says where).
    Text in a stored shape that does not parse is never legacy plaintext."""
    if cryptor.is_ciphertext(text):
        return True
    if allow_plaintext and not looks_like_wire_value(text):
        return False
    raise PIIDecryptionError(
        f"it is not a stored value of {type(cryptor).__name__} (truncated, padded, changed, or "
        "written by another cryptor)" + ("" if allow_plaintext else f"; {hint}")
    )


def plaintext_to_encrypt(
    value: str, context: str | None, token: str, cryptor: Cryptor, site: ValueSite
) -> str | None:
    """The plaintext of a pending PII value, or None when it is a stored value to keep (after
    `kept_ciphertext`'s checks); a value that is neither raises."""
    if isinstance(value, EncryptedStr):
        kept_ciphertext(value, context, token, cryptor, site)
        return None
    where = f"{site.owner.__name__}.{site.field}"
    if not isinstance(value, str):
        raise PIIUsageError(f"{where} holds a {type(value).__name__}, not text; assign a str")
    if value == MASK:
        raise PIIEncryptionError(
            f"{where} holds the mask of a stored value, not plaintext: something turned an "
            "EncryptedStr into text with str(); assign the plaintext (from decrypt_pii, or "
            "pii_guard.sqlalchemy.decrypt) instead"
        )
    return str.__str__(value)


def encrypt_pii(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
) -> list[dict[str, Any]]:
    """Storage rows (`model_dump()`) in which every PII value is ciphertext.

    Every `str` is plaintext and is encrypted, whatever it looks like. Values loaded with
    `load_pii` and not changed keep their stored ciphertext (no cryptor call for them);
    `None` stays `None`. Raises instead of ever returning a plaintext PII value.
    """
    with FORGET_SECRETS:  # this frame holds only what the caller passed
        return _encrypted(_plan_encryption(instances, cryptor, context))


async def aencrypt_pii(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
) -> list[dict[str, Any]]:
    """`encrypt_pii` whose cryptor call does not block the event loop."""
    with FORGET_SECRETS:
        return await _aencrypted(_plan_encryption(instances, cryptor, context))


def decrypt_pii(
    instances: Iterable[ModelT],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
) -> list[ModelT]:
    """Copies of loaded `instances` whose `EncryptedStr` values are plaintext (one call).

    A plain `str` is plaintext and stays as it is; one in a stored shape raises
    `PIIUsageError`, since it is a stored row validated without `load_pii` and would
    otherwise come back as "plaintext".
    """
    with FORGET_SECRETS:
        return _decrypted(_plan_decryption(instances, cryptor, context))


async def adecrypt_pii(
    instances: Iterable[ModelT],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
) -> list[ModelT]:
    """`decrypt_pii` whose cryptor call does not block the event loop."""
    with FORGET_SECRETS:
        return await _adecrypted(_plan_decryption(instances, cryptor, context))


def rewrap(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
    to_cryptor: Cryptor | None = None,
    to_context: ContextFunction | _AsRead | None = AS_READ,
) -> list[dict[str, Any]]:
    """Storage rows in which every PII value of the loaded `instances` is encrypted afresh.

    For migrations: after the KMS key changed, to retire old data keys, to move to another
    cryptor (`to_cryptor`) or binding (`to_context`); each defaults to the one the values were
    read with. One decrypt call for the whole batch, then one encrypt call. Legacy plaintext
    loaded with `allow_plaintext=True` is encrypted too. On any failure nothing is returned.
    """
    with FORGET_SECRETS:
        return _encrypted(
            _plan_encryption(
                _decrypted(_plan_decryption(instances, cryptor, context)),
                to_cryptor if to_cryptor is not None else cryptor,
                context if to_context is AS_READ else to_context,
            )
        )


async def arewrap(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
    to_cryptor: Cryptor | None = None,
    to_context: ContextFunction | _AsRead | None = AS_READ,
) -> list[dict[str, Any]]:
    """`rewrap` whose cryptor calls do not block the event loop."""
    with FORGET_SECRETS:
        return await _aencrypted(
            _plan_encryption(
                await _adecrypted(_plan_decryption(instances, cryptor, context)),
                to_cryptor if to_cryptor is not None else cryptor,
                context if to_context is AS_READ else to_context,
            )
        )


def reindex(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
) -> list[dict[str, Any]]:
    """Storage rows of loaded `instances` whose lookups are computed afresh under the newest
    index key version: one decrypt call for the batch, the stored ciphertext kept as it is.
    When every row has been reindexed, older index key versions can be dropped."""
    with FORGET_SECRETS:
        listed = _instances(instances)
        plain = _decrypted(_plan_decryption(listed, cryptor, context))
        return _encrypted(_plan_encryption(listed, cryptor, context, plain))


async def areindex(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
) -> list[dict[str, Any]]:
    """`reindex` whose cryptor calls do not block the event loop."""
    with FORGET_SECRETS:
        listed = _instances(instances)
        plain = await _adecrypted(_plan_decryption(listed, cryptor, context))
        return await _aencrypted(_plan_encryption(listed, cryptor, context, plain))


# The frames that hold plaintext: an error leaving them is cleared by the caller's
# FORGET_SECRETS, so error trackers that record locals never see it.


def _encrypted(batch: _Batch) -> list[dict[str, Any]]:
    return _rows(batch, batch.call(batch.cryptor.encrypt))


async def _aencrypted(batch: _Batch) -> list[dict[str, Any]]:
    return _rows(batch, await batch.acall(batch.cryptor.aencrypt))


def _decrypted(batch: _Batch) -> list[Any]:
    return _copies(batch, batch.call(batch.cryptor.decrypt))


async def _adecrypted(batch: _Batch) -> list[Any]:
    return _copies(batch, await batch.acall(batch.cryptor.adecrypt))


# --- planning: one pass collects the values, a second puts the cryptor's answers back --------


@dataclasses.dataclass
class _Batch:
    """The instances of one call, and the values (with contexts) to send to the cryptor."""

    cryptor: Cryptor
    bind: ContextFunction | None
    instances: list[Any]
    values: list[str] = dataclasses.field(default_factory=list)
    contexts: list[str | None] | None = None
    # encrypting only: per PII value, its stored ciphertext to keep, or None to encrypt it
    keep: list[str | None] = dataclasses.field(default_factory=list)
    # encrypting only: per instance, the lookup fields to write (empty without lookups)
    lookups: list[dict[str, str | None]] = dataclasses.field(default_factory=list)

    @classmethod
    def start(
        cls, instances: Iterable[Any], cryptor: Cryptor | None, context: ContextFunction | None
    ) -> _Batch:
        chosen = cryptor if cryptor is not None else get_cryptor()
        bind = binding_for(context, chosen)
        return cls(
            cryptor=chosen,
            bind=bind,
            instances=_instances(instances),
            contexts=None if bind is None else [],
        )

    def context_of(self, site: ValueSite) -> str | None:
        return None if self.bind is None else self.bind(site)

    def call(self, operation: Callable[..., list[str]]) -> list[str]:
        """The cryptor's answer for the batch: no call when it is empty, and contexts only
        when values are bound (cryptors of other libraries take the values alone)."""
        if not self.values:
            return []
        if self.contexts is None:
            return operation(self.values)
        return operation(self.values, self.contexts)

    async def acall(self, operation: Callable[..., Awaitable[list[str]]]) -> list[str]:
        """`call` for the cryptors' async operations."""
        if not self.values:
            return []
        if self.contexts is None:
            return await operation(self.values)
        return await operation(self.values, self.contexts)

    def send(self, value: str, context: str | None) -> None:
        self.values.append(value)
        if self.contexts is not None:
            self.contexts.append(context)


def _plan_encryption(
    instances: Iterable[BaseModel],
    cryptor: Cryptor | None,
    context: ContextFunction | None,
    lookup_sources: Sequence[BaseModel] | None = None,
) -> _Batch:
    """The values to encrypt, the ciphertext to keep and the lookups to write (computed from
    the instances' plaintext, or from `lookup_sources`: their decrypted copies)."""
    batch = _Batch.start(instances, cryptor, context)

    token = cryptor_token(batch.cryptor)

    def collect(value: str, site: ValueSite, path: Path) -> str:
        context = batch.context_of(site)
        plaintext = plaintext_to_encrypt(value, context, token, batch.cryptor, site)
        if plaintext is None:
            batch.keep.append(str.__str__(value))  # checked by plaintext_to_encrypt
        else:
            batch.keep.append(None)
            batch.send(plaintext, context)
        return value

    writer: LookupWriter | None = None
    for position, instance in enumerate(batch.instances):
        map_row(instance, collect)
        lookups = bound_lookups(type(instance))
        if lookups:
            if writer is None:  # index keys unwrapped once, and only when a model has lookups
                writer = LookupWriter(batch.cryptor)
                batch.lookups = [{} for _ in batch.instances]
            source = None if lookup_sources is None else lookup_sources[position]
            batch.lookups[position] = writer.fill(instance, lookups, source)
    return batch


def kept_ciphertext(
    value: EncryptedStr, context: str | None, token: str, cryptor: Cryptor, site: ValueSite
) -> str:
    """The stored text of a loaded value to write again; raises when it cannot be kept (made
    in code, read by another cryptor, or loaded for another row or field)."""
    where = f"{site.owner.__name__}.{site.field}"
    origin = value.origin
    if origin is None:
        raise PIIEncryptionError(
            f"{where} holds an EncryptedStr made in code, not read from storage: load stored "
            "rows with load_pii, and assign plaintext to change a value"
        )
    if (origin.cryptor is not None and origin.cryptor != token) or not cryptor.is_ciphertext(
        value.ciphertext
    ):
        raise PIIEncryptionError(
            f"{where} holds a stored value that {type(cryptor).__name__} cannot read (damaged, "
            "or written by another cryptor): move values between cryptors with rewrap"
        )
    if origin.bound and origin.context != context:
        raise PIIEncryptionError(
            f"{where} holds a stored value loaded for another row or field, which would not "
            "decrypt here: decrypt it (decrypt_pii) and assign the plaintext instead"
        )
    return value.ciphertext


def _rows(batch: _Batch, encrypted: Sequence[str]) -> list[dict[str, Any]]:
    if len(encrypted) != len(batch.values):
        raise PIIEncryptionError(
            f"the cryptor answered {len(encrypted)} values for {len(batch.values)}"
        )
    for position, value in enumerate(encrypted):
        if not is_wire_value(value):
            raise PIIEncryptionError(
                f"the cryptor answered the value at position {position} in a form that is "
                "not a stored PII value (#01#...#10#); refusing to store it"
            )
    answers = iter(encrypted)
    kept = iter(batch.keep)
    written: Written = []

    def replace(value: str, site: ValueSite, path: Path) -> str:
        stored = next(kept)
        text = str.__str__(stored if stored is not None else next(answers))
        written.append((path, text, site))
        return text

    rows = []
    for position, instance in enumerate(batch.instances):
        written.clear()
        # Warnings off: pydantic's serialization warnings quote the values they are about.
        row = map_row(instance, replace).model_dump(warnings=False)
        if batch.lookups:
            row.update(batch.lookups[position])
        _check_row(row, written, position)
        # Every PII leaf, read by the declared types, must be one of the ciphertexts just put in.
        check_row(type(instance), row, {text for _, text, _ in written}.__contains__, position)
        rows.append(row)
    return rows


Written = list[tuple[Path, str, ValueSite]]


def _check_row(row: dict[str, Any], written: Written, position: int) -> None:
    """Raise unless every ciphertext put into the instance is in its dumped row, unchanged
    (a field serializer or a `model_dump` override could turn it back into something else)."""
    for path, text, site in written:
        found, dumped = value_at(row, path)
        if not found:
            if any(isinstance(step, str) for step in path):
                continue  # a field left out of the dump (exclude=True, an alias): not stored
        elif (dumped == text and type(dumped) is str) or (
            path[-1] is SET_MEMBER and text in dumped
        ):
            continue
        raise PIIEncryptionError(
            f"{site.owner.__name__}.{site.field} of the instance at position {position} is not "
            "ciphertext after model_dump (a serializer changed it); refusing to return the row"
        )


def _plan_decryption(
    instances: Iterable[Any], cryptor: Cryptor | None, context: ContextFunction | None
) -> _Batch:
    batch = _Batch.start(instances, cryptor, context)

    for position, instance in enumerate(batch.instances):

        def collect(value: str, site: ValueSite, path: Path, position: int = position) -> str:
            if isinstance(value, EncryptedStr):
                batch.send(value.ciphertext, batch.context_of(site))
            elif looks_like_wire_value(value):
                raise PIIUsageError(
                    f"{site.owner.__name__}.{site.field} of the instance at position "
                    f"{position} holds text in a stored shape that was not read with load_pii: "
                    "load stored rows with load_pii (plain validation makes every value "
                    "plaintext)"
                )
            return value

        map_row(instance, collect)
    return batch


def _copies(batch: _Batch, plaintexts: Sequence[str]) -> list[Any]:
    if len(plaintexts) != len(batch.values) or not all(isinstance(p, str) for p in plaintexts):
        raise PIIUsageError(
            f"the cryptor answered {len(plaintexts)} values for {len(batch.values)}, "
            "or values that are not str"
        )
    answers = iter(plaintexts)

    def replace(value: str, site: ValueSite, path: Path) -> str:
        return str.__str__(next(answers)) if isinstance(value, EncryptedStr) else value

    result = []
    for instance in batch.instances:
        copied = map_row(instance, replace)
        result.append(copied if copied is not instance else instance.model_copy())
    return result


def _instances(instances: Iterable[Any]) -> list[Any]:
    if isinstance(instances, BaseModel):
        raise PIIUsageError("pass a list of model instances, not a single instance")
    listed = list(instances)
    for position, instance in enumerate(listed):
        if not isinstance(instance, BaseModel):
            raise PIIUsageError(
                f"the item at position {position} is a {type(instance).__name__}, "
                "not a pydantic model instance"
            )
    return listed


_tokens: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_strong_tokens: dict[int, tuple[Any, str]] = {}


def cryptor_token(cryptor: Cryptor) -> str:
    """A name for a cryptor object that a loaded value records, so that it is never written
    back by another cryptor (or another key) it does not belong to."""
    try:
        token = _tokens.get(cryptor)
        if token is None:
            token = _tokens[cryptor] = uuid.uuid4().hex
        return token
    except TypeError:  # not weakly referenceable: keep it alive with its token
        found = _strong_tokens.get(id(cryptor))
        if found is None or found[0] is not cryptor:
            found = _strong_tokens[id(cryptor)] = (cryptor, uuid.uuid4().hex)
        return found[1]


def _validate_row(model: type[ModelT], row: Any, position: int, marker: StoredOrigin) -> ModelT:
    try:
        # Rows are dumped by field name: read them by name even where fields have aliases.
        return model.model_validate(row, context={STORED_KEY: marker}, by_name=True)
    except ValidationError as error:
        # Never the input: the row holds ciphertext and plaintext of other fields.
        problems = "; ".join(
            f"{'.'.join(map(str, detail['loc'])) or '(row)'}: {detail['type']}"
            for detail in error.errors(include_url=False, include_input=False)
        )
        raise PIIUsageError(
            f"the row at position {position} is not a valid {model.__name__} ({problems})"
        ) from None
