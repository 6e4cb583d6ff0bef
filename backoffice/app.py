"""The teachers' web application and the kiosks' sync API (FastAPI, server-rendered Jinja2 pages).

Pages (French):   /  ·  /caisses/{register}  ·  /tickets/{id}  ·  /catalogue?q=
JSON (/api/v1):   POST sync/batch  ·  GET summary  ·  GET tickets  ·  GET catalogue  ·  GET health
"""
from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Optional

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from commerce.errors import CommerceError
from commerce.money import format_eur
from commerce.stock import parse_po_number
from commerce.ticket import PAYMENT_METHODS
from commerce.vat import rate_label

from . import purchasing, queries, reference, sync_api
from .db import create_all, make_engine, ticket

HERE = Path(__file__).parent
PAGE_SIZE = 50
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _fmt_dt(value: Optional[datetime]) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else "jamais"


# The journal's event kinds, for the teacher (kiosk.journal, commerce.operators.EVENT_KINDS).
EVENT_LABELS = {"closing": "clôture", "archive": "archive fiscale", "reprint": "duplicata",
                "printer_error": "erreur d'imprimante", "ticket_corrected": "ticket corrigé",
                "price_override": "prix modifié", "refund_without_ticket": "retour sans ticket",
                "ticket_parked": "ticket mis en attente", "ticket_resumed": "ticket repris",
                "ticket_cancelled": "ticket annulé", "drawer_no_sale": "tiroir ouvert sans vente"}


def _anomaly_label(kind: str) -> str:
    from commerce.stock import ANOMALY_LABELS
    return ANOMALY_LABELS.get(kind, kind).lower()


def _event_label(kind: str) -> str:
    from commerce.operators import EVENT_KINDS
    return EVENT_LABELS.get(kind) or EVENT_KINDS.get(kind) or kind


def _fmt_day(value: date) -> str:
    return f"{DAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"


def _parse_day(raw: Optional[str]) -> date:
    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"date : « {raw[:20]} » illisible, attendu AAAA-MM-JJ (par exemple 2025-03-14)") from None


def _detail(status: int, message: str, headers: Optional[dict] = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def create_app(engine: Optional[Engine] = None) -> FastAPI:
    """The application on ``engine`` (default: make_engine(), i.e. $COMPTOIR_DATABASE_URL)."""
    engine = engine or make_engine()
    create_all(engine)
    app = FastAPI(title="Comptoir — back-office", docs_url="/api/docs", redoc_url=None)
    app.state.engine = engine
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters.update(eur=format_eur, rate=rate_label, dt=_fmt_dt, day=_fmt_day,
                       method=lambda m: PAYMENT_METHODS.get(m, m))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def page(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def not_found(request: Request, message: str) -> HTMLResponse:
        return page(request, "error.html", 404, title="Introuvable", message=message)

    sync_api.install(app, engine, page, not_found)  # POST /api/v1/sync/batch, enrol, status; /appareils

    # Errors in French: a page for a person, JSON naming the parameter for a program.
    HTTP_FR = {404: "adresse inconnue", 405: "méthode non permise pour cette adresse"}

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = HTTP_FR.get(exc.status_code, str(exc.detail))
        if request.url.path.startswith("/api/"):
            return _detail(exc.status_code, f"{message} : {request.method} {request.url.path}",
                           dict(exc.headers or {}))  # a 405 keeps its Allow header
        response = page(request, "error.html", exc.status_code, title="Introuvable" if exc.status_code == 404
                        else "Erreur", message=f"{message[:1].upper()}{message[1:]} : {request.url.path}")
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body"))
            kind = e.get("type", "")
            reason = ("nombre entier attendu" if kind.startswith("int") else
                      "trop petit" if kind.endswith("greater_than_equal") else
                      "trop grand" if kind.endswith("less_than_equal") else
                      "obligatoire" if kind == "missing" else "valeur invalide")
            problems.append(f"paramètre « {where} » : {reason} (reçu {e.get('input')!r:.40})" if kind != "missing"
                            else f"paramètre « {where} » : {reason}")
        return _detail(422, " ; ".join(problems) or "requête invalide")

    # -- pages -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request, date: Optional[str] = None):
        try:
            day = _parse_day(date)
        except ValueError as e:
            return page(request, "error.html", 422, title="Date illisible", message=str(e))
        with engine.connect() as conn:
            s = queries.summary(conn, day)
            regs = queries.registers(conn, day)
            n_products = queries.count_products(conn)
        totals = {k: sum(r[k] for r in s["vat"]) for k in ("ht", "tva", "ttc")}
        return page(request, "dashboard.html", title="Tableau de bord", day=day, summary=s,
                    totals=totals, registers=regs, n_products=n_products, is_today=day == day.today())

    @app.get("/caisses/{register}", response_class=HTMLResponse)
    def register_page(request: Request, register: str, page_no: int = Query(1, alias="page", ge=1)):
        with engine.connect() as conn:
            count, rows = queries.register_tickets(conn, register, PAGE_SIZE, (page_no - 1) * PAGE_SIZE)
            regs = {r.register: r for r in queries.registers(conn, date.today())}
            closings = queries.register_closings(conn, register)
            events = queries.register_journal(conn, register)
        if register not in regs:
            return not_found(request, f"La caisse {register} est inconnue : aucun appareil ni ticket.")
        pages = max(1, math.ceil(count / PAGE_SIZE))
        return page(request, "register.html", title=f"Caisse {register}", register=register,
                    info=regs[register], tickets=rows, count=count, page_no=page_no, pages=pages,
                    closings=closings, events=events, event_label=_event_label)

    @app.get("/tickets/{ticket_id}", response_class=HTMLResponse)
    def ticket_page(request: Request, ticket_id: str):
        with engine.connect() as conn:
            t = queries.ticket_detail(conn, ticket_id)
        if t is None:
            return not_found(request, f"Le ticket {ticket_id} n'existe pas.")
        change = sum(max(0, p["given"] - p["amount"]) for p in t["payments"] if p["method"] == "cash")
        return page(request, "ticket.html", title=f"Ticket n° {t['number']} — caisse {t['register']}",
                    t=t, change=change)

    @app.get("/catalogue", response_class=HTMLResponse)
    def catalogue_page(request: Request, q: str = ""):
        with engine.connect() as conn:
            products = queries.search_products(conn, q, 50)
            n_products = queries.count_products(conn)
        return page(request, "catalogue.html", title="Catalogue", q=q, products=products, n_products=n_products)

    @app.get("/commandes", response_class=HTMLResponse)
    def orders_page(request: Request):
        with engine.connect() as conn:
            orders = purchasing.orders_page(conn)
        return page(request, "orders.html", title="Commandes fournisseurs", orders=orders, form={}, errors=[],
                    added="", anomaly_label=_anomaly_label)

    @app.post("/commandes", response_class=HTMLResponse)
    async def orders_add(request: Request):
        form = {k: str(v) for k, v in (await request.form()).items()}
        errors, added, warning = [], "", ""
        try:
            number = parse_po_number(form.get("number", ""))
        except CommerceError as e:
            errors.append(f"numéro : {e}")
            number = ""
        if number:
            o, errors = purchasing.order_from_form(number, form.get("supplier", ""), form.get("expected", ""),
                                                   form.get("lines", ""))
            if o is not None:
                try:
                    done, _ = purchasing.add_orders(engine, [o])
                    added = f"Commande {o.number} enregistrée" if done else f"Commande {o.number} déjà enregistrée"
                    with engine.connect() as conn:
                        unknown = purchasing.not_in_catalogue(conn, o)
                    if unknown:
                        warning = (f"Attention : {', '.join(unknown)} absent(s) du catalogue "
                                   "(reçu(s) sous leur code)")
                except CommerceError as e:
                    errors = [str(e)]
        with engine.connect() as conn:
            orders = purchasing.orders_page(conn)
        return page(request, "orders.html", status=422 if errors else 200, title="Commandes fournisseurs",
                    orders=orders, form={} if added else form, errors=errors, added=added, warning=warning,
                    anomaly_label=_anomaly_label)

    # -- JSON API ----------------------------------------------------------------------
    async def kiosk_page(request: Request, read, after: int, limit: int):
        """A page of a server cursor the kiosks read, for a device's token only (else 401)."""
        if await sync_api.request_device(engine, request) is None:
            return _detail(401, "jeton d'appareil manquant ou invalide (en-tête Authorization: Bearer …)")
        with engine.connect() as conn:
            return read(conn, after, limit)

    @app.get("/api/v1/purchase-orders", tags=["sync"], summary="Bons de commande, après un curseur (kiosques)")
    async def api_orders(request: Request, after: int = Query(0, ge=0), limit: int = Query(200, ge=1, le=1000)):
        return await kiosk_page(request, purchasing.orders_after, after, limit)

    @app.get("/api/v1/reference", tags=["sync"],
             summary="Référentiel des kiosques (opérateurs, clients, tarifs, promotions), après un curseur")
    async def api_reference(request: Request, after: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=2000)):
        return await kiosk_page(request, reference.records_after, after, limit)

    @app.get("/api/v1/summary")
    def api_summary(date: Optional[str] = None):
        try:
            day = _parse_day(date)
        except ValueError as e:
            return _detail(422, str(e))
        with engine.connect() as conn:
            return queries.summary(conn, day)

    @app.get("/api/v1/tickets")
    def api_tickets(register: str, limit: int = Query(PAGE_SIZE, ge=1, le=500), offset: int = Query(0, ge=0)):
        with engine.connect() as conn:
            count, rows = queries.register_tickets(conn, register, limit, offset)
        return {
            "register": register, "count": count,
            "tickets": [{
                "id": r["id"], "register": r["register"], "number": r["number"],
                "created_at": r["created_at"].isoformat(), "cashier": r["cashier"], "training": r["training"],
                "total": r["total"], "total_ht": r["total_ht"], "total_tva": r["total_tva"],
                "lines": r["lines"], "payments": r["methods"], "device_seq": r["seq"],
            } for r in rows],
        }

    @app.get("/api/v1/catalogue")
    def api_catalogue(after: int = Query(0, ge=0), limit: int = Query(1000, ge=1, le=5000)):
        with engine.connect() as conn:
            return queries.catalogue_after(conn, after, limit)

    @app.get("/api/v1/health")
    def api_health():
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                conn.execute(select(ticket.c.id).limit(1))
        except Exception as e:  # the point of a health check is to say so, not to crash
            return _detail(503, f"base de données inaccessible : {type(e).__name__}")
        return {"status": "ok", "database": engine.dialect.name}

    return app


def serve(host: str = "127.0.0.1", port: int = 8000, database_url: Optional[str] = None, workers: int = 1) -> None:
    """Run the back office with uvicorn (blocks until stopped). Several workers are several processes,
    each building its app from $COMPTOIR_DATABASE_URL (migrations take a lock: backoffice.migrate)."""
    import os

    import uvicorn

    if workers > 1:
        if database_url:
            os.environ["COMPTOIR_DATABASE_URL"] = database_url
        uvicorn.run("backoffice.app:create_app", factory=True, host=host, port=port, workers=workers)
    else:
        uvicorn.run(create_app(make_engine(database_url)), host=host, port=port)
