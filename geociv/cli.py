"""``geociv`` command line.

Every command reads the store location from ``--store`` or ``GEOCIV_STORE`` (default
``instance/geociv.gpkg``). Errors print a clear message in Chinese and exit non-zero.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from geociv import __version__
from geociv.config import Settings
from geociv.errors import GeocivError, ValidationError
from geociv.store import LEVEL_LABELS, LEVELS, ROLE_LABELS, ROLES, Store, open_store

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Context:
    """What every command gets: the settings and a lazily opened store."""

    def __init__(self, store: str | None) -> None:
        self.settings = Settings.from_env({"store": store})
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings.store)
        return self._store


pass_ctx = click.make_pass_decorator(Context)


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn geociv errors into a message on stderr and exit status 1 (2 for bad input)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(2)
        except GeocivError as exc:
            click.secho(f"错误：{exc}", fg="red", err=True)
            sys.exit(1)

    return wrapper


class _PluginGroup(click.Group):
    """A group that also offers the commands registered under the ``geociv.commands`` entry-point
    group, loaded only when asked for. This is how ``web`` contributes ``geociv serve`` without
    ``geociv`` importing ``web``."""

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="geociv.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in (plugins := self._plugins()):
            command = plugins[name].load()
            self.add_command(command, name)
        return command


@click.group(cls=_PluginGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="geociv")
@click.option(
    "--store",
    envvar="GEOCIV_STORE",
    metavar="PATH",
    help="GeoPackage 存储文件（默认 instance/geociv.gpkg，或环境变量 GEOCIV_STORE）",
)
@click.pass_context
def main(ctx: click.Context, store: str | None) -> None:
    """geociv：民政区划地名、界线联检与 15 分钟服务圈 GIS 服务。"""
    ctx.obj = Context(store)


@main.command()
@click.option("--demo", is_flag=True, help="载入驻马店市示例辖区（区划代码与县级边界）")
@click.option(
    "--demo-user/--no-demo-user",
    default=True,
    show_default=True,
    help="与 --demo 一起：创建示例管理员 demo（密码 geociv-demo）",
)
@pass_ctx
@reports_errors
def init(ctx: Context, demo: bool, demo_user: bool) -> None:
    """创建（或升级）存储文件；--demo 载入示例辖区。重复运行不会改变已有数据。"""
    from geociv.demo import ensure_secret_key, load_demo

    store = ctx.store
    upgraded = getattr(store, "upgraded_from", None)
    if upgraded and upgraded < store.schema_version:
        click.echo(f"存储结构已从版本 {upgraded} 升级到 {store.schema_version}")
    ensure_secret_key(store)
    click.echo(f"存储文件：{store.url}（结构版本 {store.schema_version}）")
    if demo:
        result = load_demo(store, progress=sys.stderr.isatty())
        c, p, n = result.codes, result.polygons, result.names
        click.echo(
            f"示例辖区 驻马店市：区划代码 新增 {c.inserted}、更新 {c.updated}、未变 {c.unchanged}；"
            f"边界 新增 {p.inserted}、更新 {p.updated}、未变 {p.unchanged}；"
            f"地名 新增 {n.inserted}、更新 {n.updated}、未变 {n.unchanged}"
        )
        if demo_user:
            from geociv.auth import Users

            users = Users(store)
            if users.get("demo") is None:
                users.add(
                    "demo",
                    "geociv-demo",
                    role="admin",
                    division_code="411700",
                    display_name="示例管理员",
                    actor="system",
                )
                click.echo("已创建示例管理员：用户名 demo，密码 geociv-demo（正式使用前请修改）")
    counts = store.count_divisions()
    click.echo(
        "区划：" + "，".join(f"{LEVEL_LABELS[k]} {counts[k]}" for k in LEVELS if k in counts)
    )


# -- users ---------------------------------------------------------------------------------
@main.group()
def user() -> None:
    """用户与角色管理。"""


@user.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="角色：" + "，".join(f"{k}={v}" for k, v in ROLE_LABELS.items()),
)
@click.option(
    "--division",
    "division_code",
    required=True,
    metavar="ADCODE",
    help="所属单位的区划代码，例如 411702",
)
@click.option("--name", "display_name", default="", help="显示名称（如 王科员）")
@click.password_option(help="密码（至少 8 位）；不给出时交互输入")
@click.option("--actor", default="admin-cli", show_default=True, help="记入审计日志的操作人")
@pass_ctx
@reports_errors
def user_add(
    ctx: Context,
    username: str,
    role: str,
    division_code: str,
    display_name: str,
    password: str,
    actor: str,
) -> None:
    """新增用户 USERNAME。"""
    from geociv.auth import Users

    created = Users(ctx.store).add(
        username,
        password,
        role=role,
        division_code=division_code,
        display_name=display_name,
        actor=actor,
    )
    click.echo(
        f"已创建用户 {created.username}（{ROLE_LABELS[created.role]}，{created.division_code}）"
    )


@user.command("list")
@pass_ctx
@reports_errors
def user_list(ctx: Context) -> None:
    """列出所有用户。"""
    from geociv.auth import Users

    for u in Users(ctx.store).list():
        state = "" if u.active else "（已停用）"
        click.echo(
            f"{u.username}\t{ROLE_LABELS[u.role]}\t{u.division_code}\t{u.display_name}{state}"
        )


@user.command("passwd")
@click.argument("username")
@click.password_option(help="新密码（至少 8 位）")
@click.option("--actor", default="admin-cli", show_default=True, help="记入审计日志的操作人")
@pass_ctx
@reports_errors
def user_passwd(ctx: Context, username: str, password: str, actor: str) -> None:
    """修改用户密码。"""
    from geociv.auth import Users

    Users(ctx.store).set_password(username, password, actor=actor)
    click.echo(f"已修改 {username} 的密码")


# -- divisions -----------------------------------------------------------------------------
@main.group()
def divisions() -> None:
    """行政区划查询与导入。"""


@divisions.command("show")
@click.argument("code")
@pass_ctx
@reports_errors
def divisions_show(ctx: Context, code: str) -> None:
    """显示区划 CODE 及其上级与下级。"""
    from geociv.divisions import Divisions

    divs = Divisions(ctx.store)
    d = divs.get(code)
    chain = " > ".join(a.name for a in divs.ancestors(d.code))
    click.echo(f"{d.code} {d.name}（{LEVEL_LABELS[d.level]}）")
    if chain:
        click.echo(f"上级：{chain}")
    if d.area_km2 is not None:
        click.echo(f"面积：{d.area_km2:,.1f} km²")
    kids = divs.children(d.code)
    if kids:
        click.echo(
            f"下级 {len(kids)} 个："
            + "、".join(k.name for k in kids[:30])
            + ("…" if len(kids) > 30 else "")
        )


@divisions.command("find")
@click.argument("name")
@click.option(
    "--match",
    type=click.Choice(["exact", "prefix", "contains"]),
    default="contains",
    show_default=True,
)
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--within", metavar="ADCODE", help="只在该区划内查找")
@pass_ctx
@reports_errors
def divisions_find(
    ctx: Context, name: str, match: str, level: str | None, within: str | None
) -> None:
    """按名称查找区划。"""
    from geociv.divisions import Divisions

    found = Divisions(ctx.store).find(name, match=match, level=level, within=within)
    if not found:
        click.echo("未找到")
    for d in found:
        click.echo(f"{d.code}\t{d.name}\t{LEVEL_LABELS[d.level]}")


@divisions.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--crs",
    "declared_crs",
    metavar="CRS",
    help="文件坐标系（EPSG:4490、EPSG:4326、GCJ02、BD09 …），文件未声明时必填",
)
@click.option(
    "--codes", is_flag=True, help="PATH 是区划代码表 CSV（code,name[,kind]）而不是边界文件"
)
@click.option("--actor", default="admin-cli", show_default=True, help="记入审计日志的操作人")
@pass_ctx
@reports_errors
def divisions_import(
    ctx: Context, path: str, declared_crs: str | None, codes: bool, actor: str
) -> None:
    """导入区划边界（GeoJSON/GeoPackage…）或区划代码表；任何一行有误则整体不导入。"""
    from geociv.divisions import Divisions

    divs = Divisions(ctx.store)
    if codes:
        counts = divs.load_code_list(path, actor=actor, progress=sys.stderr.isatty())
    else:
        counts = divs.load_polygons(path, actor=actor, declared_crs=declared_crs)
    click.echo(f"新增 {counts.inserted}，更新 {counts.updated}，未变 {counts.unchanged}")


# -- place names (地名) --------------------------------------------------------------------
@main.group()
def names() -> None:
    """地名：检查、拼音、批量检查、查询、登记与更名。"""


def _print_report(report: Any) -> None:
    from geociv.gazetteer.rules import SEVERITY_LABELS

    c = report.candidate
    verdict = (
        click.style("不通过", fg="red") if report.blocking else click.style("通过", fg="green")
    )
    click.echo(
        f"{c.name}（专名 {report.specific}，通名 {report.generic or '—'}）"
        f"  拼音 {report.pinyin or '—'}  {verdict}"
    )
    for f in report.findings:
        mark = f"（已确认：{f.reason}）" if f.accepted else ""
        click.echo(f"  [{f.rule_id}] {SEVERITY_LABELS[f.severity]}：{f.message}{mark}")


@names.command("check")
@click.argument("name")
@click.option("--category", required=True, metavar="CODE", help="地名类别，如 road、village")
@click.option("--division", "division_code", required=True, metavar="ADCODE", help="所属区划代码")
@click.option("--pinyin", default="", help="拟用拼音（与规则结果比对）")
@pass_ctx
@reports_errors
def names_check(ctx: Context, name: str, category: str, division_code: str, pinyin: str) -> None:
    """按全部规则检查一个地名；有错误时退出码为 3。"""
    from geociv.gazetteer.names import Gazetteer

    report = Gazetteer(ctx.store).check(name, category, division_code, pinyin=pinyin)
    _print_report(report)
    if report.blocking:
        sys.exit(3)


@names.command("pinyin")
@click.argument("name")
@click.option("--category", default=None, metavar="CODE", help="地名类别（决定专名/通名划分）")
@pass_ctx
@reports_errors
def names_pinyin(ctx: Context, name: str, category: str | None) -> None:
    """按地名拼写规则生成拼音。"""
    from geociv.gazetteer.categories import split_generic
    from geociv.gazetteer.names import Gazetteer

    specific, generic = split_generic(name, category) if category else (name, "")
    spelling = Gazetteer(ctx.store).romanizer.spell(
        name, specific=specific or None, generic=generic or None, category=category
    )
    click.echo(spelling.text)
    if spelling.polyphonic:
        click.echo(f"提示：含多音字 {'、'.join(spelling.polyphonic)}，请审核", err=True)


@names.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="把检查结果写入文件（.csv 或 .xlsx）",
)
@click.option(
    "--save",
    is_flag=True,
    help="全部无错误时，把地名作为拟用地名入库（要么全部入库，要么都不入库）",
)
@click.option("--actor", default="officer-cli", show_default=True, help="记入审计日志的操作人")
@pass_ctx
@reports_errors
def names_import(ctx: Context, path: str, report_path: str | None, save: bool, actor: str) -> None:
    """批量检查地名文件（CSV/XLSX/GeoJSON/GeoPackage）；有错误时退出码为 3。"""
    from pathlib import Path

    from geociv.gazetteer.importer import read_name_file, report_csv, report_xlsx, summary
    from geociv.gazetteer.names import Gazetteer

    gaz = Gazetteer(ctx.store)
    rows = read_name_file(path)
    reports = gaz.check_many(rows.candidates)
    stats = summary(reports)
    click.echo(
        f"共 {stats['names']} 个地名：{stats['blocked']} 个不通过，{stats['clean']} 个无任何问题"
    )
    for rule_id, n in stats["by_rule"].items():  # type: ignore[union-attr]
        click.echo(f"  {rule_id}: {n}")
    for report in reports:
        if report.findings:
            click.echo(f"第 {report.candidate.row} 行 ", nl=False)
            _print_report(report)
    if report_path:
        out = Path(report_path)
        out.write_bytes(
            report_xlsx(reports) if out.suffix.lower() == ".xlsx" else report_csv(reports)
        )
        click.echo(f"检查结果已写入 {out}")
    if save:
        if stats["blocked"]:
            click.echo("有不通过的地名，未入库。", err=True)
        else:
            saved = gaz.save_reports(reports, rows.geometries, actor=actor)
            click.echo(f"已入库 {saved} 个拟用地名")
    if stats["blocked"]:
        sys.exit(3)


@names.command("search")
@click.argument("query")
@click.option("--within", metavar="ADCODE", help="只在该区划内查找")
@click.option("--limit", default=20, show_default=True)
@pass_ctx
@reports_errors
def names_search(ctx: Context, query: str, within: str | None, limit: int) -> None:
    """查找地名：汉字（精确/前缀/包含）、拼音（可带声调）、拼音首字母、曾用名。"""
    from geociv.gazetteer.search import NameSearch

    hits = NameSearch(ctx.store).search(query, within=within, limit=limit)
    if not hits:
        click.echo("未找到")
    for h in hits:
        via = {"alias": f"（别名 {h.matched}）", "former": f"（曾用名 {h.matched}）"}.get(
            h.kind, ""
        )
        click.echo(f"{h.name_id}\t{h.name}{via}\t{h.pinyin}\t{h.division_code}")


@names.command("show")
@click.argument("name_id")
@pass_ctx
@reports_errors
def names_show(ctx: Context, name_id: str) -> None:
    """显示一条地名记录及其曾用名。"""
    from geociv.gazetteer.names import Gazetteer
    from geociv.store import NAME_STATUS_LABELS

    rec = Gazetteer(ctx.store).get(name_id)
    click.echo(
        f"{rec.name_id} {rec.name}  {rec.pinyin}{'' if rec.pinyin_reviewed else '（未审核）'}"
    )
    click.echo(
        f"专名 {rec.specific}  通名 {rec.generic}  类别 {rec.category}  "
        f"所属区划 {rec.division_code}  状态 {NAME_STATUS_LABELS[rec.status]}"
    )
    if rec.aliases:
        click.echo("别名：" + "、".join(rec.aliases))
    for f in ctx.store.former_names(rec.name_id):
        click.echo(f"曾用名：{f.name}（至 {f.valid_to or '—'}）")


@names.command("add")
@click.argument("name")
@click.option("--category", required=True, metavar="CODE")
@click.option("--division", "division_code", required=True, metavar="ADCODE")
@click.option("--pinyin", default=None, help="审定的拼音（不给出时按规则生成，标记为未审核）")
@click.option(
    "--status",
    default="proposed",
    show_default=True,
    type=click.Choice(["proposed", "approved", "published"]),
)
@click.option("--actor", default="officer-cli", show_default=True)
@pass_ctx
@reports_errors
def names_add(
    ctx: Context,
    name: str,
    category: str,
    division_code: str,
    pinyin: str | None,
    status: str,
    actor: str,
) -> None:
    """登记一个地名（先按全部规则检查，有错误则不登记）。"""
    from geociv.gazetteer.names import Gazetteer

    rec, report = Gazetteer(ctx.store).add(
        name, category, division_code, actor=actor, pinyin=pinyin, status=status
    )
    _print_report(report)
    click.echo(f"已登记 {rec.name_id}")


@names.command("accept")
@click.argument("name")
@click.argument("rule_id")
@click.option("--reason", required=True, help="确认理由（记入审计日志）")
@click.option("--actor", default="officer-cli", show_default=True)
@pass_ctx
@reports_errors
def names_accept(ctx: Context, name: str, rule_id: str, reason: str, actor: str) -> None:
    """确认（豁免）某地名的一条检查结果，须写明理由。"""
    from geociv.gazetteer.names import Gazetteer

    Gazetteer(ctx.store).accept_finding(name, rule_id, reason=reason, actor=actor)
    click.echo(f"已确认 {name} 的 {rule_id}")


@names.command("reading")
@click.argument("word")
@click.argument("pinyin")
@click.option("--note", default="", help="说明（如 地方审定读音）")
@click.option("--actor", default="officer-cli", show_default=True)
@pass_ctx
@reports_errors
def names_reading(ctx: Context, word: str, pinyin: str, note: str, actor: str) -> None:
    """添加地名特殊读音，拼音用数字标调，音节以空格分隔，如：泌阳 "bi4 yang2"。"""
    from geociv.gazetteer.names import Gazetteer

    Gazetteer(ctx.store).add_reading(word, pinyin, note=note, actor=actor)
    click.echo(f"已添加读音 {word} = {pinyin}")


@names.command("term")
@click.argument("list_name", type=click.Choice(["person", "leader", "foreign", "brand"]))
@click.argument("term")
@click.option("--note", default="")
@click.option("--actor", default="officer-cli", show_default=True)
@pass_ctx
@reports_errors
def names_term(ctx: Context, list_name: str, term: str, note: str, actor: str) -> None:
    """向人名、领导人姓名、外国地名或商标名单添加词条。"""
    from geociv.gazetteer.names import Gazetteer

    Gazetteer(ctx.store).add_term(list_name, term, note=note, actor=actor)
    click.echo(f"已添加 {term} 到名单 {list_name}")


@names.command("pinyin-check")
@pass_ctx
@reports_errors
def names_pinyin_check(ctx: Context) -> None:
    """列出库存拼音与规则结果不一致的地名。"""
    from geociv.gazetteer.names import Gazetteer

    rows = Gazetteer(ctx.store).pinyin_disagreements()
    for rec, generated in rows:
        click.echo(f"{rec.name_id}\t{rec.name}\t库存 {rec.pinyin}\t规则 {generated}")
    click.echo(f"共 {len(rows)} 条不一致")


# -- audit ---------------------------------------------------------------------------------
@main.command()
@click.option("--limit", default=20, show_default=True)
@click.option("--actor", help="只看该用户")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_ctx
@reports_errors
def audit(ctx: Context, limit: int, actor: str | None, as_json: bool) -> None:
    """查看审计日志（最新在前）。"""
    entries = ctx.store.audit_entries(limit=limit, actor=actor)
    for e in entries:
        if as_json:
            click.echo(json.dumps(e.__dict__, ensure_ascii=False))
        else:
            click.echo(f"{e.at}\t{e.actor}\t{e.action}\t{e.entity}:{e.entity_key}\t{e.note}")
