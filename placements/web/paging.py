"""Paging for long lists, in the shape GOV.UK's pagination component wants."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request
from litestar.params import QueryParameter

PER_PAGE = 25

# Paging of API lists: `limit` items from `offset`.
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="How many items to return")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="How many items to skip")]
# Free text to filter by. No NUL character: PostgreSQL cannot compare text holding one.
NO_NUL = r"^[^\x00]*$"
FilterText = Annotated[str | None, QueryParameter(max_length=200, pattern=NO_NUL)]


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int = PER_PAGE

    @property
    def limit(self) -> int:
        return self.per_page

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_from_request(request: Request[Any, Any, Any], per_page: int = PER_PAGE) -> Paging:
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    return Paging(page=max(1, min(page, 1_000_000)), per_page=per_page)


@dataclass(frozen=True)
class Page:
    number: int
    pages: int
    total: int
    first_item: int
    last_item: int
    previous_href: str | None
    next_href: str | None

    @classmethod
    def of(cls, paging: Paging, total: int, request: Request[Any, Any, Any]) -> Page:
        pages = max(1, math.ceil(total / paging.per_page))

        def href(number: int) -> str:
            query = {key: value for key, value in request.query_params.items() if key != "page"}
            query["page"] = str(number)
            return f"{request.url.path}?{urlencode(query)}"

        return cls(
            number=paging.page,
            pages=pages,
            total=total,
            first_item=min(total, paging.offset + 1),
            last_item=min(total, paging.offset + paging.per_page),
            previous_href=href(paging.page - 1) if paging.page > 1 else None,
            next_href=href(paging.page + 1) if paging.page < pages else None,
        )
