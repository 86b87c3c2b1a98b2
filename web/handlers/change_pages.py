"""Division change requests of the pages (:mod:`web.blueprints.changes`): the uploaded official
lists turned into proposals, look-ups that answer 404, and each step of a case from form
fields, every write one call of :class:`geociv.changes.cases.DivisionChanges`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from werkzeug.datastructures import FileStorage

from geociv.changes import DivisionList, propose_changes, read_division_list
from geociv.changes.cases import RECORDED_STEPS, DivisionChanges
from geociv.errors import Problem, ValidationError
from geociv.labels import CHANGE_KIND_LABELS
from geociv.store import DivisionCase
from geociv.uploads import TABLE_KINDS
from geociv.uploads.limits import MAX_DOCUMENT_BYTES
from web._helpers import actor, fields_renamed, not_found, store
from web._uploads import received

#: The upload fields of the proposal form: (field, required, what it is).
LIST_FIELDS: tuple[tuple[str, bool, str], ...] = (
    ("old", True, "旧名单"),
    ("new", True, "新名单"),
    ("old_villages", False, "旧的村级名单"),
    ("new_villages", False, "新的村级名单"),
)


def changes() -> DivisionChanges:
    """The division change service on the app's store."""
    return DivisionChanges(store())


def _read_list(storage: FileStorage | None, field: str) -> DivisionList:
    """One uploaded list, read through the checked private copy (the problems name the file,
    its row and field)."""
    with received(storage, TABLE_KINDS, field=field) as upload:
        return read_division_list(upload.path, name=upload.filename)


def _given(field: str) -> bool:
    storage = request.files.get(field)
    return storage is not None and bool(storage.filename)


def propose_from_upload(parent: str) -> tuple[list[Any], str]:
    """Read the uploaded lists (fields :data:`LIST_FIELDS`) and compare them under
    ``parent``; returns the proposals and a batch name made of the file names.

    Raises
    ------
    ValidationError
        A missing list, a parent that is not a code, or a bad file (nothing is stored).
    """
    if not parent.strip():
        raise ValidationError(Problem("请填写上级区划代码", field="parent"), title="缺少上级区划")
    lists: dict[str, DivisionList | None] = {}
    for field, required, _what in LIST_FIELDS:
        lists[field] = _read_list(request.files.get(field), field) if (
            required or _given(field)) else None  # fmt: skip
    with fields_renamed(code="parent"):
        try:
            proposals = propose_changes(
                lists["old"], lists["new"], parent=parent.strip(),  # type: ignore[arg-type]
                old_villages=lists["old_villages"], new_villages=lists["new_villages"],
            )  # fmt: skip
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(Problem(str(exc), field="parent"), title="上级区划有误") from exc
    named = [lists[f].name for f, *_ in LIST_FIELDS if lists[f] is not None]  # type: ignore[union-attr]
    return proposals, " → ".join(named[:2])


def by_kind(proposals: list[Any]) -> list[tuple[str, str, list[Any]]]:
    """``(kind, label, proposals)`` groups in the order of the kinds, empty kinds left out."""
    return [
        (kind, label, found)
        for kind, label in CHANGE_KIND_LABELS.items()
        if (found := [p for p in proposals if p.kind == kind])
    ]


def get_change_case(case_id: str) -> DivisionCase:
    """The change case, or a 404 naming it."""
    try:
        return changes().get(case_id)
    except LookupError as exc:
        not_found(str(exc))


def _text(data: Mapping[str, Any], key: str) -> str:
    return str(data.get(key) or "").strip()


def run_change_step(case_id: str, step: str, data: Mapping[str, Any]) -> DivisionCase:
    """Record ``step`` of a case from form fields: ``date``; ``pinyin-<code>`` (review),
    ``approving_body`` and ``approval_number`` (approve), ``reason`` (withdraw, reject)."""
    if step not in RECORDED_STEPS:
        not_found(f"没有办理步骤 {step}")
    svc = changes()
    get_change_case(case_id)
    who, on = actor(), _text(data, "date") or None
    with fields_renamed(on="date"):
        if step == "review":
            pinyin = {k.removeprefix("pinyin-"): str(v).strip() for k, v in data.items()
                      if k.startswith("pinyin-") and str(v).strip()}  # fmt: skip
            return svc.review(case_id, actor=who, on=on, pinyin=pinyin)
        if step == "approve":
            return svc.approve(
                case_id, approving_body=_text(data, "approving_body"),
                approval_number=_text(data, "approval_number"), actor=who, on=on,
            )  # fmt: skip
        if step == "effective":
            return svc.take_effect(case_id, actor=who, on=on)
        return svc.close(case_id, step, reason=_text(data, "reason"), actor=who, on=on)


def attach_change_document(case_id: str, doc_type: str, note: str) -> Any:
    """Attach the uploaded file (field ``file``) to a change case."""
    get_change_case(case_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError(Problem("请选择要上传的文件", field="file"), title="缺少文件")
    # read at most one byte past the bound: the service refuses it by size and by content
    content = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
    with fields_renamed(filename="file", content="file"):
        return changes().attach(case_id, doc_type, upload.filename, content, actor=actor(),
                                note=note)  # fmt: skip


def change_document(case_id: str, document_id: int) -> Any:
    """A change case's document with its content, or a 404."""
    get_change_case(case_id)
    doc = store().get_division_case_document(document_id)
    if doc is None or doc.case_id != case_id or doc.content is None:
        not_found(f"变更案件 {case_id} 没有附件 {document_id}")
    return doc


def new_names(case: DivisionCase) -> list[tuple[str, str, str]]:
    """``(code, name, pinyin)`` of each unit after the change, its pinyin the case's reviewed
    one, else the name record's reviewed one, else the rules' spelling (to pre-fill the
    review)."""
    from geociv.changes.effect import Unit, as_division
    from web._helpers import gazetteer

    given = case.changes.get("names") or {}
    found = []
    for data in case.changes.get("after", []):
        unit = Unit.of(data)
        pinyin = given.get(unit.code) or gazetteer().record_for_division(as_division(unit)).pinyin
        found.append((unit.code, unit.name, pinyin))
    return found
