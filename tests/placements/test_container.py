"""The Dockerfile and compose.yaml stay true to the code: every command they run is a real
`placements` command with real options, every setting they give is one the service reads, and
everything the image copies exists. (No image can be built where the tests run: that is checked
by building it, as the README says.)"""

from __future__ import annotations

import re
import shlex

import yaml
from click.testing import CliRunner

from placements.cli import main
from placements.settings import ROOT, settings_from_env


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _runs(command: list[str]) -> None:
    """`command` is accepted by the `placements` command line (asked for its help, so nothing runs)."""
    assert command[0] == "placements", command
    result = CliRunner().invoke(main, [*command[1:], "--help"])
    assert result.exit_code == 0, (command, result.output)
    for option in (word for word in command[1:] if word.startswith("--")):
        assert option in result.output, (command, option)


def test_every_service_built_from_the_image_runs_a_real_command():
    services = _compose()["services"]
    built = {name: service for name, service in services.items() if service.get("build")}
    assert set(built) == {"migrate", "web", "worker"}
    for service in built.values():
        _runs(service["command"])
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    _runs(yaml.safe_load(cmd.group(1)))


def test_the_settings_compose_gives_are_ones_the_service_reads():
    environment = dict(_compose()["services"]["web"]["environment"])
    environment["SECRET_KEY"] = "k" * 40  # compose asks for it from the shell
    settings = settings_from_env({name: str(value) for name, value in environment.items()})
    settings.check()
    assert settings.production and settings.redis_url == "redis://redis:6379/0"
    assert settings.database_url == "postgresql+asyncpg://placements:placements@db:5432/placements"
    db = _compose()["services"]["db"]["environment"]
    assert (
        f"{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}"
        in settings.database_url
    )


def test_what_the_image_copies_exists_and_stays_out_of_the_ignore_list():
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.MULTILINE):
        *sources, _target = shlex.split(line)
        for source in sources:
            if source != ".":
                assert (ROOT / source).exists(), source
                assert source not in ignored, source
    # The built assets come from the first stage, never from a developer's checkout.
    assert "static/dist" in ignored and "COPY --from=assets /src/static/dist ./static/dist" in dockerfile
