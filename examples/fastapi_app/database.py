"""The engine and one session per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session


def make_engine(url: str) -> Engine:
    # A failed statement's message and log show its parameters unless they are hidden; the
    # lookup hash and, in a real app, other personal columns travel in them.
    return create_engine(url, hide_parameters=True)


def get_session(request: Request) -> Iterator[Session]:
    """A FastAPI dependency: a session on the app's engine, closed after the request."""
    with Session(request.app.state.engine) as session:
        yield session
