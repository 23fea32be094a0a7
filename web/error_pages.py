"""Errors as pages for people in a browser, JSON for programs.

A refused console action (403), an unknown case (404) or a bad form (422) is
read by an admin or a liaison in a browser: they get a page in the console's
look, in Indonesian, with the reason and a way back. API, Open311 and SMS
clients (and anything not asking for HTML) keep FastAPI's JSON bodies, so no
machine-facing contract changes. Headers of the error (``Retry-After``) are kept.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from web.deps import templates
from web.errors import validation_detail

MACHINE_PATHS = ("/api/", "/open311/", "/docs", "/openapi.json", "/redoc")
TITLES = {
    400: "Permintaan tidak valid",
    401: "Perlu masuk",
    403: "Akses ditolak",
    404: "Tidak ditemukan",
    405: "Cara permintaan tidak diizinkan",
    409: "Data berubah",
    413: "Kiriman terlalu besar",
    422: "Isian tidak valid",
    429: "Terlalu banyak permintaan",
}
# Starlette's own English details (unknown path, wrong method) in the readers' words
PLAIN = {
    "Not Found": "Halaman yang Anda cari tidak ada.",
    "Method Not Allowed": "Alamat ini tidak menerima cara permintaan tersebut.",
}


def wants_page(request: Request) -> bool:
    """A browser navigation or form post (it asks for HTML), outside the machine APIs."""
    path = request.url.path
    accepts = request.headers.get("accept", "")
    return "text/html" in accepts and not path.startswith(MACHINE_PATHS)


def error_page(request: Request, status_code: int, detail: str, headers=None) -> Response:  # noqa: ANN001
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "user": None,
            "title": TITLES.get(status_code, "Terjadi kesalahan"),
            "detail": PLAIN.get(detail, detail),
            "status_code": status_code,
            "console": request.url.path.startswith("/admin"),
        },
        status_code=status_code,
        headers=headers,
    )


async def http_error(request: Request, exc: HTTPException) -> Response:
    if not wants_page(request):
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else "Permintaan tidak dapat diproses."
    return error_page(request, exc.status_code, detail, getattr(exc, "headers", None))


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    body = validation_detail(exc.errors())
    if wants_page(request):
        return error_page(request, 422, body["detail"])
    return JSONResponse(body, status_code=422)
