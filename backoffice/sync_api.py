"""The kiosks' sync endpoints and the teacher's devices pages, installed on the app by create_app.

JSON (/api/v1/sync, described in the OpenAPI document at /openapi.json):
    POST batch    a kiosk's records (token)            -> acknowledgement (sync.wire)
    POST enrol    {"code": one-time enrolment code}     -> {"device", "register", "token"}
    GET  status   what the back office holds of the kiosk (token)
Pages:  /appareils  ·  /appareils/{code}   last seen, how far behind, fiscal chain breaks

A missing, wrong or revoked token gets 401 and nothing is written; a malformed body gets 422 with
the field named; a body over MAX_BODY bytes 413.
"""
from __future__ import annotations

import json
from typing import Callable, Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from sync.wire import ACK_SCHEMA, BATCH_SCHEMA

from . import sync_status
from .devices import Device, EnrolmentRefused, device_for_token, enrol
from .ingest import IngestRefused, WireError, ingest_batch

MAX_BODY = 8 * 1024 * 1024  # a full batch of 500 tickets is far below this
MAX_ENROL_BODY = 1024


def _detail(status: int, message: str, headers: Optional[dict] = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}}}}


UNAUTHORIZED = _error("jeton d'appareil manquant, invalide ou révoqué ; rien n'est écrit")
MALFORMED = _error("corps illisible ou champ refusé ; le message nomme le champ ; rien n'est écrit")


def _body(schema: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def _read_json(request: Request, limit: int):
    """(body, None) or (None, error response): 413 over ``limit`` bytes, 422 unreadable JSON."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        return None, _detail(413, f"corps trop gros ({int(length)} octets, {limit} au plus)")
    raw = await request.body()
    if len(raw) > limit:
        return None, _detail(413, f"corps trop gros ({len(raw)} octets, {limit} au plus)")
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError) as e:
        return None, _detail(422, f"corps : JSON illisible ({e})")
    except RecursionError:  # a hostile nesting: refuse it like any unreadable body
        return None, _detail(422, "corps : JSON trop imbriqué")


async def request_device(engine: Engine, request: Request) -> Optional[Device]:
    """The device whose token the request carries (Authorization: Bearer …), or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await run_in_threadpool(device_for_token, engine, token.strip())


def install(app: FastAPI, engine: Engine, page: Callable, not_found: Callable) -> None:
    """Add the sync endpoints and the devices pages to ``app`` (``page``/``not_found`` render templates)."""

    async def authenticated(request: Request) -> Optional[Device]:
        return await request_device(engine, request)

    def unauthorized() -> JSONResponse:
        return _detail(401, "jeton d'appareil manquant ou invalide (en-tête Authorization: Bearer …)",
                       {"WWW-Authenticate": "Bearer"})

    @app.post("/api/v1/sync/batch", tags=["sync"], summary="Envoyer un lot d'enregistrements de la caisse",
              openapi_extra=_body(BATCH_SCHEMA), responses={
                  200: {"description": "accusé de réception", "content": {"application/json": {"schema": ACK_SCHEMA}}},
                  401: UNAUTHORIZED, 403: _error("enregistrement d'une autre caisse ou d'un autre appareil"),
                  409: _error("conflit avec ce qui est déjà reçu ; rien n'est écrit"), 413: _error("corps trop gros"),
                  422: MALFORMED})
    async def sync_batch(request: Request):
        dev = await authenticated(request)
        if dev is None:
            return unauthorized()
        body, error = await _read_json(request, MAX_BODY)
        if error is not None:
            return error
        try:
            return await run_in_threadpool(ingest_batch, engine, dev.code, body)
        except WireError as e:
            return _detail(422, str(e))
        except IngestRefused as e:
            return _detail(e.status, str(e))

    @app.post("/api/v1/sync/enrol", tags=["sync"], summary="Échanger un code d'enrôlement contre le jeton de la caisse",
              openapi_extra=_body({"type": "object", "required": ["code"], "properties": {
                  "code": {"type": "string", "maxLength": 64, "pattern": "\\S",
                           "description": "code à usage unique, ex. ABCD-EFGH-JKMN"}}}),
              responses={200: {"description": "le jeton, montré cette fois seulement", "content": {"application/json": {
                  "schema": {"type": "object", "required": ["device", "register", "token"], "properties": {
                      "device": {"type": "string"}, "register": {"type": "string"}, "token": {"type": "string"}}}}}},
                  401: _error("code inconnu, déjà utilisé ou expiré"), 413: _error("corps trop gros"), 422: MALFORMED})
    async def sync_enrol(request: Request):
        body, error = await _read_json(request, MAX_ENROL_BODY)
        if error is not None:
            return error
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(code, str) or not code.strip() or len(code) > 64:
            return _detail(422, "code : code d'enrôlement attendu (texte, 64 caractères au plus)")
        try:
            dev, token = await run_in_threadpool(enrol, engine, code)
        except EnrolmentRefused as e:
            return _detail(401, str(e))
        return {"device": dev.code, "register": dev.register, "token": token}

    @app.get("/api/v1/sync/status", tags=["sync"], summary="Ce que le back-office a reçu de cette caisse",
             responses={401: UNAUTHORIZED})
    async def sync_state(request: Request):
        dev = await authenticated(request)
        if dev is None:
            return unauthorized()
        with engine.connect() as conn:
            s = sync_status.device_status(conn, dev.code)
        return {"device": s.code, "register": s.register, "last_seq": s.last_seq, "head_seq": s.head_seq,
                "last_seen_at": s.last_seen_at.isoformat() if s.last_seen_at else None, "chain_breaks": s.breaks}

    @app.get("/appareils", include_in_schema=False)
    def devices_page(request: Request):
        with engine.connect() as conn:
            devices = sync_status.devices(conn)
        return page(request, "devices.html", title="Appareils", devices=devices)

    @app.get("/appareils/{code}", include_in_schema=False)
    def device_page(request: Request, code: str):
        with engine.connect() as conn:
            status = sync_status.device_status(conn, code)
            breaks = sync_status.chain_breaks(conn, device_code=code) if status else []
        if status is None:
            return not_found(request, f"L'appareil {code} est inconnu.")
        return page(request, "device.html", title=f"Appareil {code}", d=status, breaks=breaks)
