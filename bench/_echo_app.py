"""The echo baseline of bench/service.py: the same stack as `pii-guard serve` (Starlette on
uvicorn with the same h11 protocol class), parsing and answering the same bodies, no crypto."""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pii_guard.server.tls import TLSExtensionProtocol


async def echo(request: Request) -> Response:
    document = json.loads(await request.body())
    values = document["values"]
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return JSONResponse({"error": "bad"}, status_code=400)
    return JSONResponse({"values": values})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/api/v1/encrypt", echo, methods=["POST"]),
        Route("/api/v1/decrypt", echo, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        http=TLSExtensionProtocol,
        access_log=False,
        log_level="warning",
    )
