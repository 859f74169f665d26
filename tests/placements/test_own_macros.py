"""Our own govukButton, govukTag and govukSummaryList write GOV.UK Frontend's markup for every
shape of call our pages make, so a page looks and behaves as with the package's macros (whitespace
aside)."""

from __future__ import annotations

import re

import pytest

from placements.web.templating import build_environment

BUTTONS = [
    {"text": "Save"},
    {"text": "Publish <now>", "classes": "govuk-button--warning", "preventDoubleClick": True},
    {"text": "Back to pupils", "href": "/pupils?page=2&q=a", "classes": "govuk-button--secondary"},
    {"text": "Remove", "name": "action", "value": "remove", "id": "remove", "type": "submit"},
    {"text": "Run", "attributes": {"data-module": "app-run", "aria-describedby": "hint"}},
    {"text": "Cancel", "preventDoubleClick": False, "classes": "govuk-button--secondary"},
]
SUMMARY_LISTS = [
    {"rows": [{"key": {"text": "Stage"}, "value": {"text": "Open <for> placements"}}]},
    {
        "attributes": {"id": "school-figures"},
        "rows": [
            {
                "key": {"text": "Pupils registered"},
                "value": {"text": 12},
                "actions": {
                    "items": [{"href": "/pupils", "text": "See all", "visuallyHiddenText": "pupils"}]
                },
            },
            {"key": {"text": "Pupils missing consent"}, "value": {"text": 0}, "actions": {"items": []}},
            None,
            {
                "key": {"text": "Email"},
                "value": {"html": 'Not given. <a class="govuk-link" href="/x">Add it</a>'},
            },
            {
                "key": {"text": "Two"},
                "value": {"text": "a & b"},
                "actions": {
                    "items": [{"href": "/a?b=1&c=2", "text": "Change"}, {"href": "/b", "text": "Remove"}]
                },
            },
        ],
    },
    {
        "classes": "govuk-summary-list--no-border",
        "rows": [{"key": {"html": "<b>Key</b>"}, "value": {"text": ""}}],
    },
]
TAGS = [
    {"text": "Published", "classes": "govuk-tag--green"},
    {"text": "Draft"},
    {"text": "<b>Pending</b>", "classes": "govuk-tag--yellow"},
]


ENVIRONMENT = build_environment()


def _markup(source: str, macro: str, params: dict) -> str:
    rendered = ENVIRONMENT.from_string(source + "{{ " + macro + "(params) }}").render(params=params)
    # Whitespace between and inside tags is the only difference allowed.
    return re.sub(r"\s*>\s*", ">", re.sub(r"\s*<\s*", "<", re.sub(r"\s+", " ", rendered))).strip()


def _attributes(markup: str) -> tuple[str, list[str]]:
    """The element, its attributes in any order, and its text."""
    opening, _, rest = markup.partition(">")
    name, *attributes = re.findall(r'[\w-]+(?:="[^"]*")?', opening)
    return name + ">" + rest, sorted(attributes)


@pytest.mark.parametrize(
    ("macro", "shapes"),
    [("govukButton", BUTTONS), ("govukTag", TAGS), ("govukSummaryList", SUMMARY_LISTS)],
    ids=["button", "tag", "summary list"],
)
def test_our_macros_write_the_packages_markup(macro: str, shapes: list[dict]) -> None:
    words = re.findall("[A-Z][a-z]+", macro.removeprefix("govuk"))
    package_name, our_name = "-".join(words).lower(), "_".join(words).lower()
    package = f'{{% from "govuk_frontend_jinja/components/{package_name}/macro.html" import {macro} %}}'
    ours = f'{{% from "macros/{our_name}.html" import {macro} %}}'
    for params in shapes:
        expected = _attributes(_markup(package, macro, params))
        assert _attributes(_markup(ours, macro, params)) == expected, params
