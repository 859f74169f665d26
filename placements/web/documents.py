"""Documents a family keeps or prints (an outcome letter, a certificate) as tagged PDF/UA-1: a screen
reader reads them in order, with their title and language, as it reads the pages. They are made from
Jinja templates like the pages, in a worker thread, so the event loop goes on serving while one is
laid out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anyio import to_thread
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from placements.web.downloads import attachment

if TYPE_CHECKING:
    from litestar import Request, Response

# Everything a document shows is in its HTML and inline style: it never fetches, so a value typed
# by a person (an employer's address, say) cannot make the server request a URL.
NOTHING_FETCHED = URLFetcher(allowed_protocols=frozenset())


def pdf_bytes(html: str) -> bytes:
    return HTML(string=html, url_fetcher=NOTHING_FETCHED).write_pdf(pdf_variant="pdf/ua-1")


async def pdf_document(
    request: Request[Any, Any, Any], template_name: str, context: dict[str, Any], filename: str
) -> Response[Any]:
    """`template_name` rendered with `context` as a PDF download named `filename`."""
    html = request.app.template_engine.get_template(template_name).render(**context)
    return attachment(await to_thread.run_sync(pdf_bytes, html), filename)
