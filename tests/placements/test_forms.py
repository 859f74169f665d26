"""Every HTML form, as each role finds it on demo data, sent as a person would fill it, empty, and
hostile: never a 5xx, a form shown again says what is wrong, and markup typed in is never run."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import count
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD, load_demo
from placements.accounts.models import Role
from placements.clock import today
from programme.models import Stage
from tests.support import make_round, make_user

pytestmark = pytest.mark.slow

MAX_PAGES = 150
PER_SHAPE = 2
# Sending forms changes what there is (a round moves on, an employer is approved): look again for
# forms that have appeared, this many times.
PASSES = 3
# A UUID or a number in a path is an id: one page for each shape of address is enough.
ID_SEGMENT = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9]+)$")
SCRIPT = "<script>alert(1)</script>"
HOSTILE = f"Line one\r\nLine two\x00 {SCRIPT} =cmd|' /C calc'!A0"
MEGABYTE = "x" * (1 << 20)
SERIAL = count(1)
TODAY = today()
# Fields whose sensible value is not free text, by name; anything else gets a short phrase.
SENSIBLE = [
    (re.compile(r"postcode"), "PR1 2HE"),
    (re.compile(r"phone"), "01772 123456"),
    (re.compile(r"password"), DEMO_PASSWORD),
    (re.compile(r"-day$"), str(TODAY.day)),
    (re.compile(r"-month$"), str(TODAY.month)),
    (re.compile(r"^date_of_birth-year$"), str(TODAY.year - 15)),  # year 10
    (re.compile(r"-year$"), str(TODAY.year)),
    (re.compile(r"^reference$"), "R100"),
    (re.compile(r"^programme_year$"), str(TODAY.year + 3)),
    (re.compile(r"^weeks$"), f"{TODAY.year + 3}-W25"),
    (re.compile(r"^urn$"), "123456"),
    (re.compile(r"companies_house"), "01234567"),
    (re.compile(r"year_group$"), "10"),
    (re.compile(r"capacity|places|max_choices|target"), "2"),
    (re.compile(r"min_age"), "14"),
    (re.compile(r"travel"), "10"),
    (re.compile(r"^(lat|lon)$"), ""),
]


@dataclass
class Form:
    page: str
    action: str
    multipart: bool
    # name → [(value, checked)] for choices; name → [value] for text, hidden and the like.
    fields: dict[str, list[str]] = field(default_factory=dict)
    choices: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)


class PageParser(HTMLParser):
    """The links and the forms that post, with their fields as the page filled them."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.textarea: str | None = None
        self.select: str | None = None
        self.option: list[str] | None = None  # an option without a value sends its text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif tag == "form":
            if a.get("method", "get").lower() == "post":
                self.form = Form(
                    page=self.page,
                    action=urljoin(self.page, a.get("action") or self.page),
                    multipart="multipart" in a.get("enctype", ""),
                )
                self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "option" and self.select:
            self.option = None if "value" in a else [""]
            self.form.choices.setdefault(self.select, []).append((a.get("value", ""), "selected" in a))
        elif not a.get("name"):
            return
        elif tag == "input":
            kind, name = a.get("type", "text").lower(), a["name"]
            self.form.kinds.setdefault(name, kind)
            if kind in ("radio", "checkbox"):
                self.form.choices.setdefault(name, []).append((a.get("value", "on"), "checked" in a))
            elif kind not in ("submit", "button", "image", "reset"):
                self.form.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.form.kinds[self.textarea] = "textarea"
            self.form.fields.setdefault(self.textarea, []).append("")
        elif tag == "select":
            self.select = a["name"]
            self.form.kinds[self.select] = "select"

    def handle_data(self, data: str) -> None:
        if self.form is not None and self.textarea:
            self.form.fields[self.textarea][-1] += data
        elif self.form is not None and self.select and self.option is not None:
            options = self.form.choices[self.select]
            value, selected = options[-1]
            options[-1] = (value + data.strip(), selected)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "option":
            self.option = None


def shape(path: str) -> str:
    return "/".join("{id}" if ID_SEGMENT.match(part) else part for part in path.split("/"))


def key(form: Form) -> tuple[str, tuple[str, ...]]:
    return shape(urlsplit(form.action).path), tuple(sorted(form.kinds))


async def discover(client: Any, start: str) -> list[Form]:
    """Every form that posts, on the pages reachable by links from `start` (two pages per shape)."""
    seen: Counter[str] = Counter()
    queue, forms, visited = [start], {}, 0
    while queue and visited < MAX_PAGES:
        path = urlsplit(queue.pop(0)).path
        if seen[shape(path)] >= PER_SHAPE or path in seen or path.startswith(("/static", "/sign-out")):
            continue
        seen[shape(path)] += 1
        seen[path] += 1
        visited += 1
        response = await client.page(path)
        assert response.status_code < 500, (path, response.text[-2000:])
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        parser = PageParser(path)
        parser.feed(response.text)
        queue.extend(parser.links)
        for form in parser.forms:
            forms.setdefault(key(form), form)
    return list(forms.values())


def sensible(name: str, kind: str) -> str:
    if "email" in name:  # a new one each time: an address may have only one account
        return f"new.person{next(SERIAL)}@example.org"
    for pattern, value in SENSIBLE:
        if pattern.search(name):
            return value
    return "2" if kind == "number" else "A short answer"


def smallest_valid(form: Form) -> dict[str, Any]:
    """What the page filled in, blanks given a sensible value, and one choice where none was made."""
    data: dict[str, Any] = {
        name: [value or sensible(name, form.kinds[name]) for value in values]
        for name, values in form.fields.items()
    }
    for name, options in form.choices.items():
        chosen = [value for value, on in options if on]
        real = [value for value, _ in options if value]
        data[name] = chosen or real[:1]
    return data


def every_field(form: Form, value: str) -> dict[str, Any]:
    """`value` in every field the person sends (the CSRF token is kept, or nothing gets past it)."""
    names = set(form.fields) | set(form.choices)
    return {name: value for name in names if name != "_csrf_token"}


def variants(form: Form) -> dict[str, dict[str, Any]]:
    texts = [
        name for name, kind in form.kinds.items() if kind in ("text", "textarea", "email", "search", "file")
    ]
    return {
        "smallest valid": smallest_valid(form),
        "empty": every_field(form, ""),
        "hostile": {**smallest_valid(form), **every_field(form, HOSTILE)},
        # One megabyte in each text field, and in every field at once (refused whole, 413, if too big).
        **{f"a megabyte in {name}": {**smallest_valid(form), name: MEGABYTE} for name in texts[:3]},
        "a megabyte everywhere": {**smallest_valid(form), **every_field(form, MEGABYTE)},
    }


async def send(client: Any, form: Form, data: dict[str, Any]) -> Any:
    token = await client.csrf_token()
    headers = {"accept": "text/html"}
    if form.multipart:
        files = {
            name: ("upload.csv", str(data.pop(name) or ""), "text/csv")
            for name in list(data)
            if form.kinds.get(name) == "file"
        }
        return await client.http.post(
            form.action, data={**data, "_csrf_token": token}, files=files or None, headers=headers
        )
    return await client.http.post(form.action, data={**data, "_csrf_token": token}, headers=headers)


def signed_in_as(role: str, accounts: list[tuple[str, str]]) -> str | None:
    return next((email for email, label in accounts if label.startswith(role)), None)


# Sign-out is left out: it has nothing to fill in, and sending it would sign the role out for the
# rest of its forms.
LEFT_OUT = ("/sign-out",)


async def sweep(client: Any, form: Form, email: str | None, saved: set[Any]) -> list[str]:
    """Send every variant of the form; what went wrong, in words."""
    failures = []
    for name, data in variants(form).items():
        response = await send(client, form, data)
        where = f"{form.action} (on {form.page}), {name}"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code}")
            continue
        if (
            response.status_code == 400
            and "<form" in response.text
            and "govuk-error-summary" not in response.text
        ):
            failures.append(f"{where}: 400 without an error summary")
        if SCRIPT in response.text:
            failures.append(f"{where}: the markup typed in came back unescaped")
        location = response.headers.get("location", "")
        if location.startswith("/sign-in") and email:
            await client.sign_in(email, DEMO_PASSWORD)
        elif response.status_code == 200 and "govuk-error-summary" not in response.text:
            saved.add((form.action, name))  # taken, and answered on the page itself (like sign-up)
        elif location:  # saved: the page it leads to shows what was saved
            saved.add((form.action, name))
            shown = await client.page(location)
            if shown.status_code >= 500 or SCRIPT in shown.text:
                failures.append(f"{where}: then {location} gave {shown.status_code}")
    return failures


@pytest.mark.parametrize("role", ["coordinator", "school staff", "employer", "signed out"])
async def test_every_form_survives_ordinary_empty_and_hostile_input(client, db, settings, role):
    accounts = await load_demo(db, settings, pupil_count=40, placement_count=20)
    await db.commit()
    email = {"coordinator": COORDINATOR_EMAIL, "signed out": None}.get(role, signed_in_as(role, accounts))
    if email:
        assert (await client.sign_in(email, DEMO_PASSWORD)).status_code == 303

    failures: list[str] = []
    swept: set[Any] = set()
    saved: set[Any] = set()
    for _ in range(PASSES):
        found = await discover(client, "/" if email else "/sign-in")
        new = [f for f in found if key(f) not in swept and urlsplit(f.action).path not in LEFT_OUT]
        for form in new:
            swept.add(key(form))
            failures += await sweep(client, form, email, saved)
    assert len(swept) >= 3, swept
    assert not failures, "\n".join(failures)
    # The sweep reached forms that were taken, not only refusals.
    assert any(name == "smallest valid" for _, name in saved), saved


async def test_a_choices_file_with_a_huge_field_is_refused_on_the_form(client, db):
    await make_round(db, stage=Stage.PREFERENCES_OPEN)
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    response = await client.http.post(
        "/choices/upload",
        data={"_csrf_token": await client.csrf_token()},
        files={"file": ("choices.csv", MEGABYTE, "text/csv")},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 400 and "govuk-error-summary" in response.text
