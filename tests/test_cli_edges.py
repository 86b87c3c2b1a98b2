"""Issue 10 on the command line: a missing file or an unknown id is one Chinese message and a
non-zero exit, never a traceback; ``geociv --help`` does not import the GIS stack; ``init
--demo`` reports what it did.

The command tree is walked, so a command added later is checked too: every parameter that
reads a file (:class:`geociv.cli.InputFile`) is given a missing file, every argument that
names a record is given an id nobody has.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geociv.cli import InputFile, OutputFile, main
from tests.test_cli import _all_commands

ROOT = Path(__file__).resolve().parents[1]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")

#: Commands whose id argument names a record they create, not one they look up.
CREATES = {("user", "add")}

#: Values for the other parameters a command needs, by parameter name (ids get UNKNOWN).
VALUES = {
    "condition": "intact",
    "signer": "demo",
    "location": "驿城区",
    "applicant": "某公司",
    "reason": "测试",
    "proposed_name": "锦程路",
    "doc_type": "other",
    "types": "rental_station",
    "name": "测试",
    "label": "测试",
    "term": "测试",
    "word": "驿城",
    "pinyin": "yi4 cheng2",
    "query": "驿城",
    "category": "road",
    "division_code": "411702",
    "password": "long-enough-1",
    "lon": "114.02",
    "lat": "32.98",
}
UNKNOWN = {"code": "419999", "username": "nobody"}
UNKNOWN_ID = "X-UNKNOWN-9"


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        command = command.get_command(click.Context(command), name)  # type: ignore[attr-defined]
    return command


#: Every command (not group) of the tree, by its words.
COMMANDS = {p: c for p in _all_commands(main) if not isinstance(c := _command(p), click.Group)}


def _is_id(command: tuple[str, ...], param: click.Parameter) -> bool:
    named = param.name.endswith("_id") or param.name in UNKNOWN
    return isinstance(param, click.Argument) and named and command not in CREATES


def _value(param: click.Parameter, existing: Path, output: Path) -> str:
    if isinstance(param.type, InputFile):
        return str(existing)
    if isinstance(param.type, click.Path):
        return str(output)
    if isinstance(param.type, click.Choice):
        return str(param.type.choices[0])
    if isinstance(param.type, click.types.IntParamType):
        return "1"
    return VALUES.get(param.name, "测试")


def _invocation(
    command: tuple[str, ...], cmd: click.Command, given: dict[str, str], tmp: Path
) -> list[str]:
    """The arguments running ``command`` with ``given`` values and every other required one."""
    existing, output = tmp / "present.pdf", tmp / "out" / "result.html"
    existing.write_bytes(b"%PDF-1.4\n%%EOF\n")
    output.parent.mkdir(exist_ok=True)
    args = list(command)
    for param in cmd.params:
        value = given.get(param.name)
        asked = (
            param.required or isinstance(param, click.Argument) or getattr(param, "prompt", None)
        )
        if value is None and not asked:
            continue
        value = value if value is not None else _value(param, existing, output)
        if isinstance(param, click.Argument):
            args.append(value)
        elif param.name == "password_stdin":
            args.append(param.opts[0])
        else:
            args += [param.opts[0], value]
    if any(p.name == "password_stdin" for p in cmd.params) and "--password-stdin" not in args:
        args.append("--password-stdin")
    return args


def _cases() -> Iterator[tuple[str, tuple[str, ...], str]]:
    for command, cmd in sorted(COMMANDS.items()):
        for param in cmd.params:
            if isinstance(param.type, InputFile):
                yield "missing file", command, param.name
                yield "bad file", command, param.name
            elif isinstance(param.type, OutputFile):
                yield "missing folder", command, param.name
            elif _is_id(command, param):
                yield "unknown id", command, param.name


CASES = list(_cases())


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store made the way a user makes one: ``geociv init --demo``."""
    path = tmp_path_factory.mktemp("cli-edges") / "demo.gpkg"
    result = CliRunner().invoke(main, ["--store", str(path), "init", "--demo"])
    assert result.exit_code == 0, result.output
    return path


def test_the_walk_sees_files_and_ids() -> None:
    kinds = {(kind, " ".join(command)) for kind, command, _ in CASES}
    assert ("unknown id", "names show") in kinds
    assert ("missing file", "divisions import") in kinds
    assert ("missing file", "restore") in kinds
    assert len(CASES) >= 30


def test_every_path_parameter_is_an_input_or_an_output_file() -> None:
    """A new command reading or writing a file says so (or it escapes the sweep)."""
    loose = [
        (" ".join(command), p.name)
        for command, cmd in COMMANDS.items()
        for p in cmd.params
        if isinstance(p.type, click.Path) and not isinstance(p.type, InputFile | OutputFile)
    ]
    assert not loose


@pytest.mark.parametrize(
    ("kind", "command", "param_name"), CASES, ids=[f"{c[0]}:{' '.join(c[1])}:{c[2]}" for c in CASES]
)
def test_missing_file_or_unknown_id_is_a_chinese_message(
    kind: str, command: tuple[str, ...], param_name: str, demo_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copy(demo_store, store)
    cmd = COMMANDS[command]
    param = next(p for p in cmd.params if p.name == param_name)
    if kind in ("missing file", "missing folder"):
        given = {param_name: str(tmp_path / "missing" / "nothing-here.csv")}
    elif kind == "bad file":
        junk = tmp_path / "junk.csv"
        junk.write_bytes(b"{not a table\x00\x01\x02\n\x03")
        given = {param_name: str(junk)}
    elif isinstance(param.type, click.types.IntParamType):
        given = {param_name: "98765"}
    else:
        given = {param_name: UNKNOWN.get(param_name, UNKNOWN_ID)}
    args = ["--store", str(store), *_invocation(command, cmd, given, tmp_path)]
    result = CliRunner().invoke(main, args, input="geociv-demo\n")
    said = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code != 0, (args, said)
    assert "Traceback" not in said and "Usage:" not in said, (args, said)
    assert _CHINESE.search(said), (args, said)
    shown = {"unknown id": given[param_name], "missing folder": "missing"}.get(kind, "nothing-here")
    assert kind == "bad file" or shown in said, (args, said)


def test_names_show_unknown_and_missing_code_list(demo_store: Path) -> None:
    """The two cases the issue names, with their exact words."""
    shown = CliRunner().invoke(main, ["--store", str(demo_store), "names", "show", "N404"])
    assert shown.exit_code == 1 and "错误：未找到地名 N404" in shown.output
    missing = CliRunner().invoke(
        main, ["--store", str(demo_store), "divisions", "import", "--codes", "missing.csv"]
    )
    assert missing.exit_code == 2 and "文件不存在：missing.csv" in missing.output
