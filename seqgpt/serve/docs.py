"""``/docs``: the API reference (Swagger UI) served from the ``swagger-ui-bundle`` package, a
dependency of the serve extra, so it works offline; without the package, from FastAPI's CDN.
ReDoc is not offered (it would always need a CDN)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS = "/docs-assets"


def mount_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the ``swagger-ui-bundle`` package (a dependency of the serve
    extra), so the API reference works offline; without the package, from FastAPI's CDN."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        swagger_ui_path = None
    local = swagger_ui_path is not None
    if local:
        app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        url = app.openapi_url or "/openapi.json"
        if not local:
            return get_swagger_ui_html(openapi_url=url, title="seqgpt API")
        return get_swagger_ui_html(openapi_url=url, title="seqgpt API",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")
