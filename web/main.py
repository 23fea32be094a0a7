"""The web app: public intake API + admin console (``lapor web``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from limits import RateLimitItemPerHour
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casestore.api_clients import ApiClientStore
from casestore.optouts import OptOuts
from casestore.photos import PhotoStore
from casestore.sessions import SessionStore
from casestore.store import CaseStore, connect
from casestore.throttle import ThrottlePolicy
from casestore.users import UserStore
from core.contacts import ContactIndex
from core.files import read_or_create_secret
from core.privacy import Sealer
from core.settings import Settings
from core.tracking import TrackingIds
from routing_rules.engine import Router
from streams.intake import Intake, make_producer
from web import error_pages
from web.deps import LoginRequired, Services
from web.ratelimit import IntakeLimiter
from web.routers import (
    answers,
    citizen,
    console,
    docs,
    feedback,
    merge,
    open311,
    optout,
    performance,
    photos,
    public,
    sms_outbox,
)
from web.sms import parse_gateways

STATIC = Path(__file__).parent / "static"
# the routes that take photos as multipart/form-data (README "Photos")
UPLOAD_PATHS = frozenset(
    {
        "/aduan",
        "/api/v1/complaints/multipart",
        "/open311/v2/requests",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
    }
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "cache-control": "no-store",
}


class BodyLimit:
    """413 for bodies over the limit, whether announced or streamed (pure ASGI).

    A streamed (chunked) body is counted as it arrives. Past the limit this
    middleware answers 413 itself and tells the app the client has gone
    (``http.disconnect``), then drops whatever the app still sends: before, the
    overflow was an exception inside the app, and FastAPI's body parser turned it
    into a 400 "error parsing the body".

    A multipart body on a route that takes photos (``upload_paths``) may be up to
    ``upload_bytes``; every other body, JSON on those routes too, keeps
    ``max_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_bytes: int = 0,
        upload_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app, self.default_bytes = app, max_bytes
        self.upload_bytes, self.upload_paths = max(upload_bytes, max_bytes), upload_paths

    def limit_for(self, scope: Scope) -> int:
        headers = dict(scope["headers"])
        kind = headers.get(b"content-type", b"").lower()
        if scope["path"] in self.upload_paths and kind.startswith(b"multipart/form-data"):
            return self.upload_bytes
        return self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes = self.limit_for(scope)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            return await self._too_large(send, max_bytes)
        seen, started, refused = 0, False, False

        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                refused = True
                if not started:
                    await self._too_large(send, max_bytes)
                return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracked)
        except Exception:
            if not refused:
                raise
            # what the app made of the "disconnect" is moot: the client has its 413

    async def _too_large(self, send: Send, max_bytes: int) -> None:
        body = (
            b'{"detail": "Permintaan terlalu besar (maksimal '
            + str(max_bytes).encode()
            + b' byte)."}'
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def session_secret(settings: Settings) -> str:
    return settings.session_secret or read_or_create_secret(settings.session_key_file)


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        free=settings.login_free_failures,
        backoff=timedelta(seconds=settings.login_backoff_seconds),
        backoff_max=timedelta(minutes=settings.login_backoff_max_minutes),
        address_failures=settings.login_address_failures,
        address_window=timedelta(minutes=settings.login_address_window_minutes),
    )


def now_utc() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    kafka_bootstrap: str,
    mongodb_uri: str,
    clock: Callable[[], datetime] = now_utc,
) -> FastAPI:
    """``clock`` is the server's time for sessions, login throttling and SMS
    signatures (tests move it)."""
    # a malformed or weak SMS secret stops the app here, not at the first SMS
    sms_gateways = parse_gateways(
        settings.sms_secret.get_secret_value() if settings.sms_secret else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = connect(mongodb_uri, settings.mongodb_db)
        store = CaseStore(db)
        store.ensure_indexes()
        sessions = SessionStore(
            db,
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(hours=settings.session_hours),
        )
        sessions.ensure_indexes()
        users = UserStore(db, throttle=throttle_policy(settings))
        users.throttle.ensure_indexes()
        api_clients = ApiClientStore(db)
        api_clients.ensure_indexes()
        photo_store = PhotoStore(db)
        photo_store.ensure_indexes()
        producer = make_producer(kafka_bootstrap, settings)
        sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
        tracking = TrackingIds.from_settings(settings)
        contacts = ContactIndex.from_settings(settings)
        limiter = IntakeLimiter(
            settings.rate_limit_storage or mongodb_uri,
            settings.intake_rate_per_minute,
            database=f"{settings.mongodb_db}_limits",
        )
        app.state.services = Services(
            settings=settings,
            store=store,
            users=users,
            intake=Intake(producer, settings.topic_submitted, sealer, tracking),
            producer=producer,
            router=Router(),
            sealer=sealer,
            limiter=limiter,
            sms_limiter=limiter.sibling(settings.sms_rate_per_minute, "sms-gateway"),
            sms_sender_limiter=limiter.sibling(
                settings.sms_sender_per_hour, "sms-sender", RateLimitItemPerHour
            ),
            sms_gateways=sms_gateways,
            sessions=sessions,
            api_clients=api_clients,
            photos=photo_store,
            clock=clock,
            tracking=tracking,
            contacts=contacts,
            optouts=OptOuts(store.db, contacts),
        )
        try:
            yield
        finally:  # also when the server's task is cancelled
            producer.close(5)
            limiter.close()  # its siblings share the storage

    app = FastAPI(
        title="LAPOR router",
        description="Public complaint intake (web, SMS 1708) and the admin console.",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # served by web/routers/docs.py, without a CDN
        redoc_url=None,
        # Starlette answers "/path/" with a redirect to an absolute URL built from
        # the request's Host header: `Host: evil.example` got `Location:
        # http://evil.example/...` (issue 15). Without it "/path/" is a 404; every
        # redirect this app makes is a path on its own site.
        redirect_slashes=False,
    )
    app.include_router(public.router)
    app.include_router(sms_outbox.router)
    app.include_router(console.router)
    app.include_router(docs.router)
    app.include_router(open311.router)
    app.include_router(citizen.router)
    app.include_router(performance.router)
    app.include_router(photos.router)
    app.include_router(merge.router)
    app.include_router(feedback.router)
    app.include_router(answers.router)
    app.include_router(optout.router)
    app.add_exception_handler(open311.Open311Error, open311.error_response)
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="lapor_session",
        max_age=int(settings.session_hours * 3600),
        same_site="strict",
        https_only=settings.secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    app.add_exception_handler(StarletteHTTPException, error_pages.http_error)
    app.add_exception_handler(RequestValidationError, error_pages.validation_error)

    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        upload_paths=UPLOAD_PATHS,
    )
    return app
