"""The ``geociv`` command line, run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geociv.auth import local_actor
from geociv.cli import main
from tests.conftest import PASSWORD


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    yield prefix
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("command", list(_all_commands(main)), ids=" ".join)
def test_help_everywhere(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_serve_is_contributed_by_the_web_package() -> None:
    assert "serve" in main.list_commands(click.Context(main))
    result = run("serve", "--help")
    assert "--host" in result.output and "--port" in result.output and "--debug" in result.output


def test_init_demo_twice_changes_nothing(tmp_path: Path) -> None:
    store = str(tmp_path / "g.gpkg")
    first = run("--store", store, "init", "--demo")
    assert first.exit_code == 0, first.output
    assert "新增 3127" in first.output and "村级 2906" in first.output
    # a brand-new store has nothing to update: the 11 county polygons are new boundaries
    assert "边界 新增 11、更新 0、未变 0" in first.output
    assert "用户名 demo" in first.output
    second = run("--store", store, "init", "--demo")
    assert "未变 3127" in second.output and "未变 11" in second.output
    assert "用户名 demo" not in second.output
    audit = run("--store", store, "audit", "--limit", "5", "--json")
    assert json.loads(audit.output.splitlines()[0])["action"] == "users.add"


def test_store_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOCIV_STORE", str(tmp_path / "env.gpkg"))
    assert run("init").exit_code == 0
    assert (tmp_path / "env.gpkg").exists()


def test_user_add_and_list(demo_path: Path) -> None:
    result = run(
        "--store",
        str(demo_path),
        "user",
        "add",
        "qian",
        "--role",
        "inspector",
        "--division",
        "411722",
        "--name",
        "钱联检",
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 0, result.output
    listing = run("--store", str(demo_path), "user", "list").output
    assert "qian\t界线联检人员\t411722\t钱联检" in listing


def test_user_add_bad_input_exits_non_zero_naming_fields(demo_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "--store",
            str(demo_path),
            "user",
            "add",
            "q!",
            "--role",
            "officer",
            "--division",
            "41170",
            "--password",
            "short",
        ],
    )
    assert result.exit_code == 2
    assert "username" in result.output and "division_code" in result.output
    assert "password" in result.output
    assert "q!" not in run("--store", str(demo_path), "user", "list").output


def test_divisions_show_and_find(demo_path: Path) -> None:
    shown = run("--store", str(demo_path), "divisions", "show", "411702")
    assert "驿城区（县级）" in shown.output and "河南省 > 驻马店市" in shown.output
    assert "下级 21 个" in shown.output
    found = run("--store", str(demo_path), "divisions", "find", "驿城", "--level", "county")
    assert found.output.startswith("411702\t驿城区")
    unknown = CliRunner().invoke(main, ["--store", str(demo_path), "divisions", "show", "411799"])
    assert unknown.exit_code == 1 and "未找到区划代码 411799" in unknown.output
    malformed = CliRunner().invoke(main, ["--store", str(demo_path), "divisions", "show", "41x"])
    assert malformed.exit_code == 1 and "只含数字" in malformed.output


def test_divisions_import_broken_file_names_the_row(demo_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n411702,驿城区\n4117022,坏\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--store", str(demo_path), "divisions", "import", "--codes", str(bad)]
    )
    assert result.exit_code == 2
    assert "第 3 行" in result.output and "code" in result.output
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--store", str(demo_path), "divisions", "import", str(broken)]
    )
    assert result.exit_code == 2 and "broken.geojson" in result.output


def test_newer_store_is_refused_with_exit_1(tmp_path: Path) -> None:
    import sqlite3

    from geociv.store._sqlite_schema import SCHEMA_VERSION

    store = tmp_path / "g.gpkg"
    run("--store", str(store), "init")
    conn = sqlite3.connect(store)
    conn.execute(
        "UPDATE geociv_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    conn.commit()
    conn.close()
    result = CliRunner().invoke(main, ["--store", str(store), "init"])
    assert result.exit_code == 1 and "请升级 geociv" in result.output


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        command = command.get_command(click.Context(command), name)  # type: ignore[attr-defined]
    return command


#: Every command that writes: those that carry the (hidden, refusing) ``--actor`` option.
WRITE_COMMANDS = [
    path
    for path in _all_commands(main)
    if path and any(p.name == "actor" and p.hidden for p in _command(path).params)  # type: ignore[attr-defined]
]


def test_every_write_command_is_found() -> None:
    assert len(WRITE_COMMANDS) >= 25
    assert ("boundaries", "check") in WRITE_COMMANDS and ("user", "disable") in WRITE_COMMANDS


@pytest.mark.parametrize("command", WRITE_COMMANDS, ids=" ".join)
def test_no_write_command_lets_the_caller_name_the_actor(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--actor", "demo-queshan"])
    assert result.exit_code == 2
    assert "--actor 已取消" in result.output and local_actor() in result.output


def test_cli_writes_are_attributed_to_the_local_admin(demo_path: Path) -> None:
    result = run(
        "--store", str(demo_path), "user", "add", "zhao", "--role", "planner",
        "--division", "411702", "--password", PASSWORD,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    audit = json.loads(run("--store", str(demo_path), "audit", "--limit", "1", "--json").output)
    assert (audit["actor"], audit["action"]) == (local_actor(), "users.add")
    assert local_actor().startswith("cli:") and local_actor() != "cli:"
