"""check_query: filters and ordering on PII fields are warned about, or refused when strict."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel

from pii_guard import Lookup, PIIModel, PIIQueryError, PIIStr, check_query, lookup_of
from tests.runtime.models import Customer, Order


def test_filter_on_a_pii_field_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pii_guard"):
        found = check_query(Customer, filters={"name": "Ann Smith", "country": "NL"})

    assert found == ["name"]
    assert caplog.messages == [
        "PII001 filter on PII field Customer.name: random-IV ciphertext never matches; "
        "filter on a lookup key such as a keyed hash instead"
    ]
    assert "Ann Smith" not in caplog.text


def test_lookup_suffixes_and_exclusions_are_paths_too() -> None:
    assert check_query(Customer, filters={"name__iexact": "x"}, exclude=["phone__in"]) == [
        "name__iexact",
        "phone__in",
    ]


def test_ordering_by_a_pii_field_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pii_guard"):
        found = check_query(Customer, order_by=["-name", "customer_id"])

    assert found == ["-name"]
    assert caplog.messages == [
        "PII002 ordering by PII field Customer.name: ciphertext order is random; "
        "order by a non-PII field instead"
    ]


def test_fk_paths_are_followed_through_optional(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pii_guard"):
        found = check_query(Customer, filters={"profile__email__iexact": "x"})

    assert found == ["profile__email__iexact"]
    assert "PII field Profile.email:" in caplog.text


def test_fk_paths_are_followed_across_several_models() -> None:
    found = check_query(
        Order,
        filters={"customer__profile__email": "x", "customer__country": "NL"},
        order_by=["customer__name"],
    )

    assert found == ["customer__profile__email", "customer__name"]


def test_non_pii_paths_and_unknown_names_pass_quietly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pii_guard"):
        found = check_query(
            Customer,
            filters={"customer_id__gt": 3, "profile__nickname": "x", "no_such_field": 1},
            order_by=["country"],
        )

    assert found == []
    assert caplog.messages == []


def test_strict_mode_raises_instead_of_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pii_guard"), pytest.raises(PIIQueryError) as e:
        check_query(Customer, filters={"name": "Ann Smith"}, order_by=["phone"], strict=True)

    assert "PII001 filter on PII field Customer.name" in str(e.value)
    assert "PII002 ordering by PII field Customer.phone" in str(e.value)
    assert "Ann Smith" not in str(e.value)
    assert caplog.messages == []


def test_strict_mode_lets_good_queries_through() -> None:
    assert check_query(Customer, filters={"country": "NL"}, strict=True) == []


# --- declared lookups ---------------------------------------------------------------------------


class Member(PIIModel):
    member_id: int
    email: PIIStr
    email_lookup: Lookup = lookup_of("email", normalizer="email")
    phone: PIIStr | None = None


class Subscription(BaseModel):
    subscription_id: int
    member: Member


def test_filters_and_ordering_on_a_lookup_field_pass_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="pii_guard"):
        found = check_query(
            Member,
            filters={"email_lookup": "ab12", "email_lookup__in": ["ab12", "cd34"]},
            exclude=["email_lookup__isnull"],
            order_by=["-email_lookup"],
            strict=True,
        )

    assert found == []
    assert caplog.messages == []


def test_a_filter_on_a_field_with_a_lookup_names_the_lookup(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="pii_guard"):
        found = check_query(Member, filters={"email": "ann@example.com", "phone": "1"})

    assert found == ["email", "phone"]
    assert caplog.messages == [
        "PII001 filter on PII field Member.email: random-IV ciphertext never matches; "
        "filter on its lookup Member.email_lookup instead",
        # no lookup declared for the phone: the general advice
        "PII001 filter on PII field Member.phone: random-IV ciphertext never matches; "
        "filter on a lookup key such as a keyed hash instead",
    ]


def test_an_fk_path_names_the_field_and_lookup_on_the_model_declaring_them() -> None:
    with pytest.raises(PIIQueryError) as error:
        check_query(Subscription, filters={"member__email__iexact": "x"}, strict=True)

    assert str(error.value) == (
        "PII001 filter on PII field Member.email: random-IV ciphertext "
        "never matches; filter on its lookup Member.email_lookup instead"
    )
    assert check_query(Subscription, filters={"member__email_lookup": "x"}) == []


def test_ordering_by_a_field_with_a_lookup_does_not_suggest_it() -> None:
    # a keyed hash sorts as randomly as ciphertext: the lookup is no fix for ordering
    with pytest.raises(PIIQueryError, match="order by a non-PII field instead"):
        check_query(Member, order_by=["email"], strict=True)
