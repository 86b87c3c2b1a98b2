"""Pages for place-name officers: search on the map, check a name, check a file, a record."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from geociv.divisions import Divisions, to_frame
from geociv.errors import GeocivError, ValidationError
from geociv.gazetteer.categories import CATEGORIES
from geociv.gazetteer.importer import report_csv, report_xlsx, summary
from geociv.gazetteer.names import HERITAGE_LEVELS
from geociv.gazetteer.rules import RULES
from geociv.labels import NAME_STATUS_LABELS, SEVERITY_LABELS, VERDICT_LABELS
from web._helpers import (
    actor,
    division_labels,
    flash_error,
    gazetteer,
    require_user_role,
    role_required,
    store,
)
from web.caching import cached
from web.handlers.names import check_upload, heritage_upload
from web.maps import division_map, map_parts
from web.words import tag

bp = Blueprint("names", __name__, url_prefix="/names")

CATEGORY_CHOICES = [SelectChoice(c.code, c.label) for c in CATEGORIES.values()]


class CheckForm(FlaskForm):
    """One name to check."""

    name = StringField("拟用地名", validators=[DataRequired("请输入地名")])
    category = SelectField("地名类别", choices=CATEGORY_CHOICES, default="road")
    division_code = StringField(
        "所属区划代码", validators=[DataRequired("请输入区划代码")], default="411702"
    )
    pinyin = StringField("拟用拼音（可不填）")


def _jurisdiction_map() -> dict[str, Any]:
    """The search page's map, rendered again only when divisions changed."""
    divisions = Divisions(store())
    code = current_app.config["JURISDICTION"]
    key = current_app.config["TIANDITU_KEY"]

    def build() -> dict[str, Any]:
        city = divisions.get(code)
        m = division_map(
            to_frame([city] if city.geometry is not None else []),
            divisions.frame(parent=code, level="county"),
            tianditu_key=key,
        )
        return {**map_parts(m), "map_name": m.get_name()}

    return cached(f"names-map:{code}", ("divisions",), build)


@bp.get("/")
@login_required
def search_page() -> Any:
    """Search names (Chinese, pinyin, initials, former names) and open a result on the map."""
    return render_template("names_search.html", q=request.args.get("q", ""), **_jurisdiction_map())


@bp.route("/check", methods=["GET", "POST"])
@login_required
def check() -> Any:
    """Check a proposed name against every rule; officers may accept a finding with a reason.

    A GET with the form's fields in the query string (``?name=…&category=…``) checks too: the
    confirmation of a finding comes back to the report it confirmed this way.
    """
    asked = request.method == "GET" and "name" in request.args
    form = CheckForm(request.args, meta={"csrf": False}) if asked else CheckForm()
    report = None
    status = 200
    if form.validate() if asked else form.validate_on_submit():
        try:
            report = gazetteer().check(
                form.name.data,
                form.category.data,
                form.division_code.data.strip(),
                pinyin=(form.pinyin.data or "").strip(),
            )
        except GeocivError as exc:
            flash_error(exc)
            status = 400
    elif request.method == "POST" or asked:
        status = 400
    return render_template(
        "names_check.html",
        form=form,
        report=report,
        severity_labels=SEVERITY_LABELS,
        verdict_labels=VERDICT_LABELS,
        rules=RULES,
        labels=division_labels([report.candidate.division_code]) if report else {},
    ), status


@bp.post("/accept")
@role_required("officer")
def accept() -> Any:
    """Accept one finding with a reason, then show the report it confirmed again."""
    name = request.form.get("name", "")
    try:
        gazetteer().accept_finding(
            name, request.form.get("rule", ""), reason=request.form.get("reason", ""), actor=actor()
        )
        rule = request.form.get("rule", "")
        title = RULES[rule].title if rule in RULES else rule
        done = Markup("已确认“{}”的“{}” {}，理由已记入审计日志").format(name, title, tag(rule))
        flash(done, "info")
    except ValidationError as exc:
        flash_error(exc)
    asked = {k: request.form.get(k, "") for k in ("category", "division_code", "pinyin")}
    if not name or not asked["category"] or not asked["division_code"]:
        return redirect(url_for("names.check"))
    return redirect(url_for("names.check", name=name, **asked, _anchor="report"))


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_page() -> Any:
    """Check a whole file; see the findings with row numbers and download them."""
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            reports, geometries, filename = check_upload(gazetteer())
        except GeocivError as exc:
            flash_error(exc)
            return _import_template(), 400
        context = {
            "filename": filename,
            "reports": reports,
            "stats": summary(reports),
            "csv_b64": base64.b64encode(report_csv(reports)).decode(),
            "xlsx_b64": base64.b64encode(report_xlsx(reports)).decode(),
            "severity_labels": SEVERITY_LABELS,
            "verdict_labels": VERDICT_LABELS,
        }
        if request.form.get("save") == "1":
            require_user_role("officer")
            try:
                saved = gazetteer().save_reports(
                    reports, geometries, actor=actor(), source=f"导入：{filename}"
                )
                flash(f"已将 {saved} 个地名登记为拟用地名", "info")
            except ValidationError as exc:
                flash_error(exc)
                status = 400
    return _import_template(**context), status


def _import_template(**context: Any) -> str:
    """The import page: the names check and the heritage-level import."""
    return render_template("names_import.html", heritage_levels=HERITAGE_LEVELS, **context)


@bp.post("/heritage")
@role_required("officer")
def heritage() -> Any:
    """Set heritage levels from an uploaded table, all rows or none (every bad row listed)."""
    try:
        changed, rows, filename = heritage_upload()
    except GeocivError as exc:
        flash_error(exc)
        return _import_template(), 400
    flash(f"{filename}：共 {rows} 行，设置了 {len(changed)} 条地名记录的文化遗产级别", "info")
    for record in changed:
        flash(f"{record.name}（{record.name_id}）：{record.heritage_level}", "info")
    return redirect(url_for("names.import_page"))


@bp.route("/lists", methods=["GET", "POST"])
@login_required
def lists() -> Any:
    """Special readings and the person/leader/foreign/brand lists; officers add entries."""
    from geociv.gazetteer.pinyin import load_overrides
    from geociv.gazetteer.rules import LIST_RULES, default_terms

    status = 200
    if request.method == "POST":
        require_user_role("officer")
        try:
            if request.form.get("kind") == "reading":
                gazetteer().add_reading(
                    request.form.get("word", "").strip(),
                    request.form.get("pinyin", "").strip(),
                    note=request.form.get("note", ""),
                    actor=actor(),
                )
                flash("已添加特殊读音", "info")
            else:
                gazetteer().add_term(
                    request.form.get("list", ""),
                    request.form.get("term", ""),
                    note=request.form.get("note", ""),
                    actor=actor(),
                )
                flash("已添加名单词条", "info")
            return redirect(url_for("names.lists"))
        except ValidationError as exc:
            flash_error(exc)
            status = 400
    return render_template(
        "names_lists.html",
        curated_readings=load_overrides(),
        officer_readings=store().pinyin_overrides(),
        curated_terms=default_terms(),
        officer_terms=store().terms(),
        list_rules=LIST_RULES,
        rules=RULES,
    ), status


@bp.post("/<name_id>/edit")
@role_required("officer")
def edit(name_id: str) -> Any:
    """Officer edits: reviewed pinyin, heritage level, aliases, status (retire, never delete)."""
    form = request.form
    changes: dict[str, Any] = {}
    if form.get("pinyin", "").strip():
        changes["pinyin"] = form["pinyin"].strip()
        changes["pinyin_reviewed"] = True
    if "heritage_level" in form:
        changes["heritage_level"] = form["heritage_level"].strip()
    if "aliases" in form:
        changes["aliases"] = [
            a.strip() for a in form["aliases"].replace("，", ",").split(",") if a.strip()
        ]
    if form.get("status"):
        changes["status"] = form["status"]
    try:
        gazetteer().update(name_id, actor=actor(), **changes)
        flash("已保存（修改已记入审计日志）", "info")
    except (ValidationError, LookupError) as exc:
        flash_error(exc)
    return redirect(url_for("names.record", name_id=name_id))


@bp.get("/<name_id>")
@login_required
def record(name_id: str) -> Any:
    """One name record: fields, pinyin, aliases, former names and its audit history."""
    rec = gazetteer().get(name_id)
    history = store().audit_entries(limit=50, entity="names", key=name_id)
    return render_template(
        "names_record.html",
        rec=rec,
        former=store().former_names(name_id),
        history=history,
        status_labels=NAME_STATUS_LABELS,
        category=CATEGORIES.get(rec.category),
        labels=division_labels([rec.division_code]),
        heritage_levels=HERITAGE_LEVELS,
    )
