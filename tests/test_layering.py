"""Layering (issue 11): labels are presentation and have one home; the store owns the codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import geociv.labels as labels
import geociv.store as store
import geociv.store.records as records

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")

#: Each enumeration the store owns and the label table that reads it to an official.
CODES_AND_LABELS = [
    (records.LEVELS, labels.LEVEL_LABELS),
    (records.ROLES, labels.ROLE_LABELS),
    (records.NAME_STATUSES, labels.NAME_STATUS_LABELS),
    (records.CASE_KINDS, labels.CASE_KIND_LABELS),
    (records.CASE_ALL_STEPS, labels.CASE_STEP_LABELS),
    (records.CASE_ALL_STATUSES, labels.CASE_STATUS_LABELS),
    (records.DOCUMENT_TYPES, labels.DOCUMENT_TYPE_LABELS),
    (records.SIGN_TYPES, labels.SIGN_TYPE_LABELS),
    (records.SIGN_STATUSES, labels.SIGN_STATUS_LABELS),
    (records.PATROL_CONDITIONS, labels.PATROL_CONDITION_LABELS),
    (records.LINE_LEVELS, labels.LINE_LEVEL_LABELS),
    (records.LINE_SOURCES, labels.LINE_SOURCE_LABELS),
    (records.MARKER_KINDS, labels.MARKER_KIND_LABELS),
    (records.MARKER_CONDITIONS, labels.MARKER_CONDITION_LABELS),
    (records.LINE_CHANGE_TYPES, labels.LINE_CHANGE_LABELS),
    (records.PLAN_KINDS, labels.PLAN_KIND_LABELS),
    (records.RECORD_KINDS, labels.RECORD_KIND_LABELS),
    (records.RECORD_STATUSES, labels.RECORD_STATUS_LABELS),
    (records.FACILITY_TYPES, labels.FACILITY_TYPE_LABELS),
    (records.FACILITY_STATUSES, labels.FACILITY_STATUS_LABELS),
    (records.ZONE_SET_KINDS, labels.ZONE_SET_KIND_LABELS),
]


def _sources(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def _label_dicts(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Dict literals of ``path`` whose keys are codes and whose values are Chinese text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict) or len(node.keys) < 2:
            continue
        pairs = [
            (k.value, v.value)
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
            and isinstance(k.value, str) and isinstance(v.value, str)
        ]  # fmt: skip
        if len(pairs) == len(node.keys) and all(CJK.search(v) for _, v in pairs):
            found.append((node.lineno, dict(pairs)))
    return found


def test_store_exports_codes_not_labels() -> None:
    """The store re-exports what persistence owns (codes), no Chinese label table."""
    assert not [n for n in dir(store) if n.endswith("_LABELS")]
    assert not [n for n in dir(records) if n.endswith("_LABELS")]
    assert _label_dicts(ROOT / "geociv" / "store" / "records.py") == []


def test_every_code_the_store_owns_has_a_label() -> None:
    for codes, table in CODES_AND_LABELS:
        assert set(codes) == set(table), (codes, table)


def test_value_labels_are_written_once() -> None:
    """No module outside :mod:`geociv.labels` repeats one of its tables (or a part of one)."""
    tables = {
        name: value
        for name, value in vars(labels).items()
        if name.endswith("_LABELS") and isinstance(value, dict)
    }
    copies = []
    for path in _sources("geociv", "web"):
        if path == ROOT / "geociv" / "labels.py":
            continue
        for line, found in _label_dicts(path):
            for name, table in tables.items():
                if found.items() <= table.items():
                    copies.append(f"{path.relative_to(ROOT)}:{line} repeats {name}")
    assert copies == []


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (at the top or inside a function), absolute names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_page_blueprints_call_no_api_blueprint() -> None:
    """A page shares request handling with its API through :mod:`web.handlers`, never by
    calling the API blueprint's functions (nor does an API blueprint call another's)."""
    calls = []
    for path in sorted((ROOT / "web" / "blueprints").glob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[:2] == ["web", "blueprints"] and len(parts) > 2 and parts[2].endswith("_api"):
                calls.append(f"{path.name} imports {name}")
    assert calls == []


DOMAINS = ("gazetteer", "boundaries", "coverage")


def test_no_domain_imports_another() -> None:
    """Place names, boundaries and coverage each stand alone: what two of them need (dates,
    codes, file readers) lives in a neutral module such as :mod:`geociv.fields`."""
    crossings = []
    for domain in DOMAINS:
        for path in _sources(f"geociv/{domain}"):
            for name in _imports(path):
                owner = name.split(".")[1] if name.startswith("geociv.") else None
                if owner in DOMAINS and owner != domain:
                    crossings.append(f"{path.relative_to(ROOT)} imports {name}")
    assert crossings == []


def test_geociv_never_imports_web() -> None:
    offending = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources("geociv")
        for name in _imports(path)
        if name.split(".")[0] in ("web", "flask", "flask_login", "flask_wtf")
    ]
    assert offending == []


def test_the_command_line_is_one_module_per_domain() -> None:
    """``geociv/cli/`` holds one module per domain; they share :mod:`geociv.cli.common` and
    never import one another (the root group loads each by name when asked for)."""
    modules = {p.stem for p in (ROOT / "geociv" / "cli").glob("*.py")}
    assert {"names", "cases", "signs", "boundaries", "coverage", "store", "users"} <= modules
    assert not list((ROOT / "geociv").glob("cli_*.py"))
    crossings = []
    for path in sorted((ROOT / "geociv" / "cli").glob("*.py")):
        if path.stem == "__init__":
            continue
        for name in _imports(path):
            if name.startswith("geociv.cli") and not name.startswith("geociv.cli.common"):
                crossings.append(f"{path.name} imports {name}")
    assert crossings == []


#: Functions of issue 11 split into named steps: (module, function).
SPLIT = [
    ("geociv/boundaries/reports.py", "report_map_png"),
    ("geociv/boundaries/registry.py", "import_surveyed"),
    ("geociv/boundaries/reports.py", "report_html"),
    ("geociv/coverage/suggest.py", "suggest_sites"),
    ("geociv/coverage/batch.py", "batch_coverage"),
    ("geociv/coverage/service.py", "run"),
    ("geociv/boundaries/reports.py", "report_docx"),
    ("geociv/boundaries/registry.py", "derive_from_divisions"),
    ("geociv/coverage/offsets.py", "check_datum_offset"),
    ("geociv/crs.py", "to_storage_crs"),
    ("geociv/gazetteer/cases.py", "apply"),
    ("geociv/coverage/stored.py", "import_raster"),
    ("web/coverage_export.py", "standalone_map_html"),
]


def _body_lines(path: Path, name: str) -> int:
    """Lines of the body of function ``name`` in ``path``, its docstring left out."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            return node.end_lineno - body[0].lineno + 1
    raise LookupError(name)


def test_long_functions_are_split_into_steps_that_fit_on_a_screen() -> None:
    sizes = {f"{module}:{name}": _body_lines(ROOT / module, name) for module, name in SPLIT}
    assert {where: n for where, n in sizes.items() if n > 60} == {}


#: An HTML element opening, as a report assembled from strings in Python would hold.
HTML_TAG = re.compile(r"<(?:!DOCTYPE|html|head|body|style|script|table|tr|th|td|div|h[1-6]|p)[\s>]",
                      re.IGNORECASE)  # fmt: skip
#: Modules besides ``geociv/`` whose printable pages come from templates.
TEMPLATED = ["web/coverage_export.py"]


def _html_literals(path: Path) -> list[int]:
    """Lines of ``path`` with a string (not a docstring, not a Jinja ``Template``) holding HTML."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Template":
            skip.update(id(n) for n in ast.walk(node))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in skip and HTML_TAG.search(node.value)
    )  # fmt: skip


def test_printable_pages_are_rendered_from_templates_not_strings() -> None:
    sources = [*_sources("geociv"), *(ROOT / m for m in TEMPLATED)]
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sources for n in _html_literals(p)]
    assert found == []


def test_audit_labels_repeat_no_field_label_of_the_forms() -> None:
    """The audit page writes a field's label itself only where the forms' tables
    (:mod:`web.words`) do not agree on one; a label they all give is taken from there."""
    from web import words

    tables = [words.COMMON_LABELS, *words.DOMAIN_LABELS.values()]
    tree = ast.parse((ROOT / "web" / "audit_view.py").read_text(encoding="utf-8"))
    (literal,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and getattr(node.target, "id", "") == "AUDIT_FIELD_LABELS"
    ]
    repeated = [
        (key.value, value.value)
        for key, value in zip(literal.keys, literal.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(value, ast.Constant)
        and {t[key.value] for t in tables if key.value in t} == {value.value}
    ]  # fmt: skip
    assert repeated == []
