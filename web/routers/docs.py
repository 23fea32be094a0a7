"""The API's documentation page, served whole by this app.

FastAPI's default /docs loads Swagger UI from a CDN and starts it with an inline
script: a hub may run without internet, and the app's Content-Security-Policy
allows scripts from its own origin only, so that page was blank. Swagger UI's
files come from the ``fastapi-offline`` package (``ASSETS``, mounted by
``web.main``) and a static script (``static/swagger-init.js``) starts it, so the
CSP stays as strict as it is.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
ASSETS = Path(str(files("fastapi_offline") / "static"))
ASSETS_URL = "/docs/assets"

PAGE = f"""<!doctype html>
<html lang="id">
<head>
  <meta charset="utf-8">
  <title>LAPOR router · API</title>
  <link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
  <link rel="icon" href="{ASSETS_URL}/favicon.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
  <script src="/static/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
