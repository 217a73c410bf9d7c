"""The FastAPI application: register a user, find one by e-mail, list them.

Run it with `uvicorn --factory fastapi_app.app:create_app` (see README.md).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pii_guard import get_cryptor, lookup_values
from pii_guard.sqlalchemy import decrypt

from .database import get_session, make_engine
from .models import Base, User
from .redaction import hide_query_strings_in_access_log, validation_error_answer
from .schemas import MAX_EMAIL_LENGTH, Registration, UserOut
from .settings import Settings

logger = logging.getLogger(__name__)

SessionDependency = Annotated[Session, Depends(get_session)]
MAX_PAGE = 100


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings if settings is not None else Settings.from_environment()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        get_cryptor()  # a missing or wrong PII_GUARD_* setting stops the start, not a request
        lookup_values(User, "email", "")  # so do missing index keys (they unwrap once, here)
        Base.metadata.create_all(engine)  # an example; a real app runs its migrations
        yield
        engine.dispose()

    app = FastAPI(title="pii-guard FastAPI example", lifespan=lifespan)
    app.state.engine = engine
    app.add_exception_handler(RequestValidationError, validation_error_answer)
    hide_query_strings_in_access_log()
    app.include_router(_routes())
    return app


def _routes() -> APIRouter:
    router = APIRouter()

    @router.post("/users", status_code=201)
    def register(
        registration: Registration, session: SessionDependency
    ) -> UserOut:
        user = User(email=registration.email, phone=registration.phone)
        session.add(user)
        try:
            session.commit()  # the flush encrypts email and phone and fills email_lookup
        except IntegrityError:
            session.rollback()
            if _find(session, registration.email) is None:
                raise  # another constraint failed; the engine hides the statement's parameters
            raise HTTPException(409, "this e-mail address is already registered") from None
        logger.info("registered user %d", user.id)
        return UserOut(id=user.id, email=registration.email, phone=registration.phone)

    @router.get("/users")
    def list_users(
        session: SessionDependency,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    ) -> list[UserOut]:
        users = session.scalars(select(User).order_by(User.id).offset(offset).limit(limit)).all()
        plaintexts = decrypt(users)  # the whole page in one cryptor call
        return [_answer(user, plain) for user, plain in zip(users, plaintexts, strict=True)]

    @router.get("/users/by-email")
    def find_by_email(
        email: Annotated[str, Query(max_length=MAX_EMAIL_LENGTH)],
        session: SessionDependency,
    ) -> UserOut:
        user = _find(session, email)
        if user is None:
            raise HTTPException(404, "no user has this e-mail address")
        [plain] = decrypt([user])
        return _answer(user, plain)

    return router


def _find(session: Session, email: str) -> User | None:
    # One value per index key version: rows written before a key rotation are found too.
    candidates = lookup_values(User, "email", email)
    return session.scalars(select(User).where(User.email_lookup.in_(candidates))).one_or_none()


def _answer(user: User, plain: dict[str, str | None]) -> UserOut:
    return UserOut.model_validate({"id": user.id, **plain})
