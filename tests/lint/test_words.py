"""The whole-word search that decides which files the analyzer reads at all."""

from __future__ import annotations

import pytest

from flake8_pii.words import WordSearch

SEARCH = WordSearch(["PIIStr", "Customer"])


@pytest.mark.parametrize(
    "text",
    [
        "from pii_guard import PIIStr\n",
        "email: 'PIIStr'\n",
        "x = models.Customer.objects\n",
        "PIIStr",
        "class A(Customer): pass",
        "a = 1\nb: PIIStr | None = None",
    ],
)
def test_a_whole_word_is_found(text: str) -> None:
    assert SEARCH.in_text(text)
    assert SEARCH.in_bytes(text.encode())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PIIStrings = 1\n",
        "class CustomerAddress: ...\n",
        "MyCustomer = 1; PIIStr_ = 2; _Customer = 3\n",
        "customer.email\n",
    ],
)
def test_a_word_inside_a_longer_name_is_not_found(text: str) -> None:
    assert not SEARCH.in_text(text)
    assert not SEARCH.in_bytes(text.encode())


def test_a_later_whole_occurrence_is_found_after_partial_ones() -> None:
    text = "CustomerX = 1\nXCustomer = 2\nCustomer_ = 3\nuse(Customer)\n"
    assert SEARCH.in_text(text)
    assert SEARCH.in_bytes(text.encode())


def test_bytes_search_errs_towards_a_match_next_to_non_ascii_text() -> None:
    # "éCustomer" is one identifier in Python; reading the file for nothing is the safe error.
    assert WordSearch(["Customer"]).in_bytes("éCustomer = 1".encode())
    assert not WordSearch(["Customer"]).in_text("éCustomer = 1")


def test_no_words_finds_nothing() -> None:
    assert not WordSearch([]).in_text("anything at all")
