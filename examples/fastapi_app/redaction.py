"""Keep request values out of the server's log and out of error answers."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

ACCESS_LOGGER = "uvicorn.access"


class HideQueryStrings(logging.Filter):
    """Cut the query string from uvicorn's access log lines (`/users/by-email?email=...`).

    uvicorn logs `'%s - "%s %s HTTP/%s" %d'` with the path and query string as the third
    argument.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, question_mark, _query = args[2].partition("?")
            if question_mark:
                record.args = (*args[:2], f"{path}?<hidden>", *args[3:])
        return True


def hide_query_strings_in_access_log() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, HideQueryStrings) for existing in logger.filters):
        logger.addFilter(HideQueryStrings())


async def validation_error_answer(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 answer without the `input` it normally echoes (an address, a phone)."""
    problems = error.errors() if isinstance(error, RequestValidationError) else []
    kept = ("loc", "msg", "type")  # not "input" or "ctx", which may hold the value
    detail = [{key: problem[key] for key in kept if key in problem} for problem in problems]
    return JSONResponse(status_code=422, content={"detail": detail})
