"""``geociv`` command line.

Every command reads the store location from ``--store`` or ``GEOCIV_STORE`` (default
``instance/geociv.gpkg``). Errors print a clear message in Chinese and exit non-zero.

Whoever runs ``geociv`` here with access to the store file is its local administrator: every
write is attributed to :func:`geociv.auth.local_actor` (``cli:<os user>``), never to a name given
on the command line (the former ``--actor`` option is refused, see :func:`local_admin`). A
command that acts as one particular user (the inspector's sign-off) asks for that user's
password.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import click

from geociv import __version__
from geociv.config import Settings
from geociv.errors import GeocivError, InputFileError, Problem, ValidationError
from geociv.labels import LEVEL_LABELS, ROLE_LABELS
from geociv.localtime import cell_time
from geociv.store import LEVELS, ROLES, Store, open_store

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

    def close(self) -> None:
        """Close the store when the command is done (a restore can then replace the file)."""
        if self._store is not None:
            self._store.close()
            self._store = None


pass_ctx = click.make_pass_decorator(Context)


@contextlib.contextmanager
def errors_reported() -> Iterator[None]:
    """Report an error the user can act on as one Chinese message on stderr and a non-zero
    exit, never a traceback: bad input (exit status 2: a :class:`~geociv.errors.ValidationError`,
    a missing or unreadable input file), an unknown id and every other geociv error (status 1).
    """
    try:
        yield
    except ValidationError as exc:
        _fail(str(exc), 2)
    except GeocivError as exc:
        _fail(f"错误：{exc}", 1)
    except FileNotFoundError as exc:
        _fail(f"错误：文件不存在：{exc.filename or exc}", 2)
    except OSError as exc:
        _fail(f"错误：{_os_problem(exc)}", 1)
    except UnicodeDecodeError:
        _fail("错误：文件编码无法识别，请另存为 UTF-8 或 GBK 编码后重试", 2)
    except LookupError as exc:
        _fail(f"错误：未找到 {exc.args[0] if exc.args else exc}", 1)


def _fail(message: str, status: int) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(status)


#: What an operating-system error means, in the user's words (by errno).
_OS_PROBLEMS = {
    errno.EACCES: "没有读写权限",
    errno.EPERM: "没有读写权限",
    errno.EISDIR: "这是文件夹，应为文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "磁盘为只读",
}


def _os_problem(exc: OSError) -> str:
    problem = _OS_PROBLEMS.get(exc.errno or 0, "无法读写")
    return f"{problem}：{exc.filename}" if exc.filename else f"{problem}（{exc.strerror or exc}）"


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command inside :func:`errors_reported` (the main group also runs every command
    inside it, so a command or plugin without this decorator is covered as well)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with errors_reported():
            return func(*args, **kwargs)

    return wrapper


class InputFile(click.Path):
    """A file the command reads. A missing one (or a folder) stops the command before it does
    anything, with a Chinese message naming the file (exit status 2).

    Parameters
    ----------
    what
        What the file is, for the message (e.g. ``"备份文件"``).
    """

    name = "file"

    def __init__(self, what: str = "文件") -> None:
        super().__init__(dir_okay=False)
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(value)
        where = f"（{_written(param)}）" if param is not None else ""
        if path.is_dir():
            problem = f"{value} 是文件夹，应为{self.what}{where}"
        elif not path.exists():
            problem = f"{self.what}不存在：{value}{where}"
        else:
            return super().convert(value, param, ctx)
        raise InputFileError(Problem(problem), title="无法读取")


class OutputFile(click.Path):
    """A file the command writes. One in a folder that does not exist stops the command before
    it does anything, with a Chinese message naming the folder (exit status 2)."""

    name = "file"

    def __init__(self) -> None:
        super().__init__(dir_okay=False, writable=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        folder = Path(value).parent
        if not folder.is_dir():
            where = f"（{_written(param)}）" if param is not None else ""
            problem = Problem(f"文件夹不存在：{folder}，请先创建它或换一个位置{where}")
            raise ValidationError(problem, title=f"无法写入 {value}")
        return super().convert(value, param, ctx)


def _written(param: click.Parameter) -> str:
    """A parameter as the user writes it: ``--photo`` for an option, ``PATH`` for an argument."""
    return param.opts[0] if isinstance(param, click.Option) else param.human_readable_name


def local_admin(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a write command the parameter ``actor`` = :func:`~geociv.auth.local_actor`.

    The command line cannot choose whom a write is attributed to: a hidden ``--actor`` option
    remains only to refuse it with a message (scripts written for older releases fail loudly
    rather than being attributed silently to someone else).
    """

    def attribute(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
        from geociv.auth import local_actor

        if value is not None:
            raise click.UsageError(
                f"--actor 已取消：命令行的写操作一律记为本机管理员 {local_actor()}"
                "（按操作系统用户），不能指定他人"
            )
        return local_actor()

    return click.option("--actor", hidden=True, default=None, callback=attribute)(func)


def read_password(prompt: str, from_stdin: bool) -> str:
    """A password from the first line of standard input (``--password-stdin``) or typed at a
    hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True)


class _PluginGroup(click.Group):
    """A group that also offers the commands registered under the ``geociv.commands`` entry-point
    group, loaded only when asked for. This is how ``web`` contributes ``geociv serve`` without
    ``geociv`` importing ``web``."""

    #: Command groups of geociv defined in their own modules (``module:attribute``), imported
    #: when asked for; those modules import this one for its decorators.
    LAZY: ClassVar[dict[str, str]] = {
        "boundaries": "geociv.cli_boundaries:boundaries",
        "coverage": "geociv.cli_coverage:coverage",
        "backup": "geociv.cli_store:backup_command",
        "restore": "geociv.cli_store:restore_command",
    }

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="geociv.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()) | set(self.LAZY))

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command asked for, its parameters and its group's set-up inside
        :func:`errors_reported` (so a missing input file or an unknown id is never a traceback)."""
        with errors_reported():
            return super().invoke(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self.LAZY:
            from importlib import import_module

            module, attribute = self.LAZY[name].split(":")
            command = getattr(import_module(module), attribute)
            self.add_command(command, name)
        elif command is None and name in (plugins := self._plugins()):
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
    ctx.call_on_close(ctx.obj.close)


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
    from geociv.auth import local_actor
    from geociv.demo import load_demo
    from geociv.session_key import session_key

    store = ctx.store
    upgraded = getattr(store, "upgraded_from", None)
    if upgraded and upgraded < store.schema_version:
        click.echo(f"存储结构已从版本 {upgraded} 升级到 {store.schema_version}")
    session_key(ctx.settings, store, actor=local_actor())
    click.echo(f"存储文件：{store.url}（结构版本 {store.schema_version}）")
    if demo:
        result = load_demo(store, progress=sys.stderr.isatty())
        c, p, n = result.codes, result.polygons, result.names
        click.echo(
            f"示例辖区 驻马店市：区划代码 新增 {c.inserted}、更新 {c.updated}、未变 {c.unchanged}；"
            f"边界 新增 {p.inserted}、更新 {p.updated}、未变 {p.unchanged}；"
            f"地名 新增 {n.inserted}、更新 {n.updated}、未变 {n.unchanged}"
        )
        if result.boundaries is not None:
            b = result.boundaries
            click.echo(
                f"界线：新增 {b.lines.inserted}、新版本 {b.lines.versioned}、"
                f"未变 {b.lines.unchanged}；"
                f"示例界桩 {b.markers} 颗、示例计划 {int(b.plan)} 项、示例检查记录 "
                f"{1 if b.inspection else 0} 条（均标注“示例”）"
            )
            if b.users:
                click.echo(
                    f"已创建示例联检员：{'、'.join(b.users)}（密码 geociv-demo，用于体验双方签字）"
                )
        if result.facilities:
            click.echo(
                f"服务设施：新增示例设施 {result.facilities} 处（主城区为示意范围，均标注“示例”）"
            )
        if result.zone_sets:
            click.echo(
                f"统计单元：新增 {result.zone_sets} 组（示例主城区、示例统计网格，"
                "网格代替尚无公开边界的街道）"
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
@local_admin
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
@local_admin
@pass_ctx
@reports_errors
def user_passwd(ctx: Context, username: str, password: str, actor: str) -> None:
    """修改用户密码。"""
    from geociv.auth import Users

    Users(ctx.store).set_password(username, password, actor=actor)
    click.echo(f"已修改 {username} 的密码")


@user.command("disable")
@click.argument("username")
@local_admin
@pass_ctx
@reports_errors
def user_disable(ctx: Context, username: str, actor: str) -> None:
    """停用用户：其已登录的会话立即结束、不能再登录；记录不删除，可用 enable 恢复。"""
    from geociv.auth import Users

    Users(ctx.store).set_active(username, False, actor=actor)
    click.echo(f"已停用用户 {username}（会话已全部结束）")


@user.command("enable")
@click.argument("username")
@local_admin
@pass_ctx
@reports_errors
def user_enable(ctx: Context, username: str, actor: str) -> None:
    """重新启用已停用的用户。"""
    from geociv.auth import Users

    Users(ctx.store).set_active(username, True, actor=actor)
    click.echo(f"已启用用户 {username}")


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
@click.argument("path", type=InputFile())
@click.option(
    "--crs",
    "declared_crs",
    metavar="CRS",
    help="文件坐标系（EPSG:4490、EPSG:4326、GCJ02、BD09 …），文件未声明时必填",
)
@click.option(
    "--codes", is_flag=True, help="PATH 是区划代码表 CSV（code,name[,kind]）而不是边界文件"
)
@local_admin
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
    from geociv.labels import SEVERITY_LABELS

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
@click.argument("path", type=InputFile())
@click.option(
    "--report",
    "report_path",
    type=OutputFile(),
    help="把检查结果写入文件（.csv 或 .xlsx）",
)
@click.option(
    "--save",
    is_flag=True,
    help="全部无错误时，把地名作为拟用地名入库（要么全部入库，要么都不入库）",
)
@local_admin
@pass_ctx
@reports_errors
def names_import(ctx: Context, path: str, report_path: str | None, save: bool, actor: str) -> None:
    """批量检查地名文件（CSV/XLSX/GeoJSON/GeoPackage）；有错误时退出码为 3。"""
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
    from geociv.labels import NAME_STATUS_LABELS

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
@local_admin
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
@local_admin
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
@local_admin
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
@local_admin
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


# -- naming/renaming cases (命名更名) ------------------------------------------------------
@main.group()
def cases() -> None:
    """命名更名案件：申请、附件、审核、批准、备案、公告、生效，撤回与不予批准，逾期提醒与公告。"""


def _case_line(case: Any) -> str:
    from geociv.labels import CASE_KIND_LABELS, CASE_STATUS_LABELS

    subject = (
        f"{case.old_name} → {case.proposed_name}" if case.kind == "renaming" else case.proposed_name
    )
    last = case.steps[-1] if case.steps else None
    when = f"{last.on}" if last else ""
    return (
        f"{case.case_id}\t{CASE_KIND_LABELS[case.kind]}\t{subject}\t"
        f"{CASE_STATUS_LABELS[case.status]}\t{when}"
    )


def _print_case(ctx: Context, case: Any) -> None:
    from geociv.gazetteer.cases import Cases
    from geociv.labels import CASE_STEP_LABELS, DOCUMENT_TYPE_LABELS

    click.echo(_case_line(case))
    click.echo(f"  位置：{case.location}；申请人：{case.applicant}；所属区划 {case.division_code}")
    if case.close_reason:
        click.echo(f"  {CASE_STEP_LABELS[case.closed.step]}理由：{case.close_reason}")
    bodies = [("审批机关", case.approving_body), ("备案机关", case.filed_with)]
    if any(value for _, value in bodies):
        click.echo("  " + "；".join(f"{label}：{value}" for label, value in bodies if value))
    for s in case.steps:
        note = f"  {s.note}" if s.note else ""
        click.echo(f"  {CASE_STEP_LABELS[s.step]}\t{s.on}\t{s.actor}{note}")
    for d in Cases(ctx.store).documents(case.case_id):
        click.echo(
            f"  附件 #{d.id} {DOCUMENT_TYPE_LABELS[d.doc_type]}：{d.filename}（{d.size} 字节）"
        )


@cases.command("list")
@click.option(
    "--status",
    type=click.Choice(
        [
            "applied",
            "reviewed",
            "approved",
            "filed",
            "published",
            "effective",
            "withdrawn",
            "rejected",
        ]
    ),
    help="只列出该状态的案件（withdrawn 已撤回，rejected 不予批准）",
)
@click.option("--kind", type=click.Choice(["naming", "renaming"]), help="命名或更名")
@pass_ctx
@reports_errors
def cases_list(ctx: Context, status: str | None, kind: str | None) -> None:
    """列出案件：编号、类型、名称、状态、最近办理日期。"""
    from geociv.gazetteer.cases import Cases

    found = Cases(ctx.store).query(status=status, kind=kind)
    if not found:
        click.echo("没有案件")
    for case in found:
        click.echo(_case_line(case))


@cases.command("show")
@click.argument("case_id")
@pass_ctx
@reports_errors
def cases_show(ctx: Context, case_id: str) -> None:
    """显示一个案件的办理过程与附件。"""
    from geociv.gazetteer.cases import Cases

    _print_case(ctx, Cases(ctx.store).get(case_id))


@cases.command("apply")
@click.argument("kind", type=click.Choice(["naming", "renaming"]))
@click.argument("proposed_name")
@click.option("--name-id", default=None, help="被更名的地名记录编号（更名必填）")
@click.option("--category", default=None, metavar="CODE", help="地名类别（命名必填），如 road")
@click.option(
    "--division", "division_code", default=None, metavar="ADCODE", help="所属区划（命名必填）"
)
@click.option("--location", required=True, help="位置描述")
@click.option("--applicant", required=True, help="申请人（单位或个人）")
@click.option("--pinyin", default="", help="审定拼音（可不填，审核时按规则生成）")
@click.option("--reason", default="", help="命名/更名理由")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="申请日期（默认今天）")
@click.option("--note", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def cases_apply(
    ctx: Context,
    kind: str,
    proposed_name: str,
    name_id: str | None,
    category: str | None,
    division_code: str | None,
    location: str,
    applicant: str,
    pinyin: str,
    reason: str,
    on: str | None,
    note: str,
    actor: str,
) -> None:
    """申请命名（naming）或更名（renaming），拟用名称为 PROPOSED_NAME。"""
    from geociv.gazetteer.cases import Cases

    case = Cases(ctx.store).apply(
        kind,
        proposed_name,
        applicant=applicant,
        location=location,
        actor=actor,
        category=category,
        division_code=division_code,
        name_id=name_id,
        pinyin=pinyin,
        reason=reason,
        on=on,
        note=note,
    )
    click.echo(f"已受理 {_case_line(case)}")


@cases.command("attach")
@click.argument("case_id")
@click.argument(
    "doc_type",
    metavar="DOC_TYPE",
)
@click.argument("path", type=InputFile())
@click.option("--note", default="", help="附件说明")
@local_admin
@pass_ctx
@reports_errors
def cases_attach(
    ctx: Context, case_id: str, doc_type: str, path: str, note: str, actor: str
) -> None:
    """给案件上传附件。DOC_TYPE：assessment（综合评估报告）、expert（专家论证报告）、
    consultation（征求意见报告）、protection（保护措施）、approval（批复文件）、other（其他材料），
    也可写中文名。"""
    from geociv.gazetteer.cases import Cases
    from geociv.labels import DOCUMENT_TYPE_LABELS

    file = Path(path)
    doc = Cases(ctx.store).attach(
        case_id, doc_type, file.name, file.read_bytes(), actor=actor, note=note
    )
    click.echo(
        f"已上传 {doc.case_id} 的{DOCUMENT_TYPE_LABELS[doc.doc_type]}：{doc.filename}"
        f"（{doc.size} 字节，附件 #{doc.id}）"
    )


@cases.command("step")
@click.argument("case_id")
@click.argument("step", type=click.Choice(["review", "approve", "file", "publish", "effective"]))
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="办理日期（默认今天）")
@click.option("--note", default="", help="备注")
@click.option("--approving-body", default="", help="审批机关（approve 必填）")
@click.option("--filed-with", default="", help="备案机关（file 必填）")
@click.option(
    "--accept",
    "accepts",
    multiple=True,
    metavar="RULE=REASON",
    help="审核时确认一条检查结果及理由，可重复，如 --accept N3-PERSON=历史地名",
)
@local_admin
@pass_ctx
@reports_errors
def cases_step(
    ctx: Context,
    case_id: str,
    step: str,
    on: str | None,
    note: str,
    approving_body: str,
    filed_with: str,
    accepts: tuple[str, ...],
    actor: str,
) -> None:
    """办理案件的下一步：review 审核、approve 批准、file 备案、publish 公告、effective 生效。"""
    from geociv.errors import Problem
    from geociv.gazetteer.cases import Cases
    from geociv.labels import CASE_STATUS_LABELS, CASE_STEP_LABELS

    svc = Cases(ctx.store)
    common: dict[str, Any] = {"actor": actor, "on": on, "note": note}
    if step == "review":
        accept: dict[str, str] = {}
        for item in accepts:
            rule, sep, reason = item.partition("=")
            if not sep:
                raise ValidationError(
                    Problem(f"--accept {item!r} 应写成 规则编号=理由", field="accept"),
                    title="参数有误",
                )
            accept[rule.strip()] = reason.strip()
        case = svc.review(case_id, accept=accept, **common)
    elif step == "approve":
        case = svc.approve(case_id, approving_body=approving_body, **common)
    elif step == "file":
        case = svc.file(case_id, filed_with=filed_with, **common)
    elif step == "publish":
        case = svc.publish(case_id, **common)
    else:
        case = svc.effective(case_id, **common)
    click.echo(
        f"{case.case_id} 已{CASE_STEP_LABELS[step]}（{case.date_of(step)}），"
        f"当前状态：{CASE_STATUS_LABELS[case.status]}"
    )


def _close_case(ctx: Context, case_id: str, step: str, **fields: Any) -> None:
    """Withdraw or refuse a case (``step``) and say so."""
    from geociv.gazetteer.cases import Cases
    from geociv.labels import CASE_STATUS_LABELS, CASE_STEP_LABELS

    svc = Cases(ctx.store)
    action = svc.withdraw if step == "withdraw" else svc.reject
    case = action(case_id, **fields)
    click.echo(
        f"{case.case_id} 已{CASE_STEP_LABELS[step]}（{case.date_of(step)}，"
        f"理由：{case.close_reason}），当前状态：{CASE_STATUS_LABELS[case.status]}，案件办结"
    )


@cases.command("withdraw")
@click.argument("case_id")
@click.option("--reason", required=True, help="撤回理由（必填）")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="撤回日期（默认今天）")
@click.option("--note", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def cases_withdraw(
    ctx: Context, case_id: str, reason: str, on: str | None, note: str, actor: str
) -> None:
    """申请人撤回申请：批准前（已申请、已审核）的案件办结为“已撤回”，地名库不变。"""
    _close_case(ctx, case_id, "withdraw", reason=reason, actor=actor, on=on, note=note)


@cases.command("reject")
@click.argument("case_id")
@click.option("--reason", required=True, help="不予批准理由（必填）")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="决定日期（默认今天）")
@click.option("--body", "approving_body", default="", help="作出决定的机关（如 驿城区人民政府）")
@click.option("--note", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def cases_reject(
    ctx: Context,
    case_id: str,
    reason: str,
    on: str | None,
    approving_body: str,
    note: str,
    actor: str,
) -> None:
    """不予批准：审核或批准环节（已申请、已审核）的案件办结为“不予批准”，地名库不变。"""
    _close_case(
        ctx,
        case_id,
        "reject",
        reason=reason,
        actor=actor,
        on=on,
        note=note,
        approving_body=approving_body,
    )


@cases.command("overdue")
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="计算到哪一天（默认今天）")
@pass_ctx
@reports_errors
def cases_overdue(ctx: Context, today: str | None) -> None:
    """列出批准后超过 15 天仍未备案或公告（或备案、公告晚了）的案件；有逾期时退出码为 3。"""
    from geociv.gazetteer.cases import DEADLINE_DAYS, Cases
    from geociv.labels import CASE_STEP_LABELS

    found = Cases(ctx.store).overdue(today)
    if not found:
        click.echo("没有逾期案件")
        return
    for o in found:
        click.echo(
            f"{o.case_id}\t{CASE_STEP_LABELS[o.step]}\t批准 {o.approved_on}\t"
            f"{o.done_on or '未完成'}\t批准后 {o.days} 天，逾期 {o.days - DEADLINE_DAYS} 天"
        )
    sys.exit(3)


@cases.command("notice")
@click.argument("case_id")
@click.option(
    "--html",
    "html_path",
    type=OutputFile(),
    help="把可打印的公告（A4 HTML）写入该文件",
)
@click.option(
    "--date", "on", default=None, metavar="YYYY-MM-DD", help="未公告时的公告日期（默认今天）"
)
@pass_ctx
@reports_errors
def cases_notice(ctx: Context, case_id: str, html_path: str | None, on: str | None) -> None:
    """生成已批准案件的公告：列出各项内容，--html 另存为可打印页面。"""
    from geociv.gazetteer.cases import Cases

    svc = Cases(ctx.store)
    fields = svc.notice(case_id, on=on)
    labels = {
        "title": "标题",
        "standard_name": "标准地名",
        "pinyin": "罗马字母拼写",
        "old_name": "原名称",
        "category_label": "地名类别",
        "division_full_name": "所在行政区划",
        "location": "位置描述",
        "approving_body": "审批机关",
        "approval_date": "批准日期",
        "filed_with": "备案机关",
        "filing_date": "备案日期",
        "notice_date": "公告日期",
        "effective_date": "生效日期",
    }
    for key, label in labels.items():
        if fields.get(key):
            click.echo(f"{label}：{fields[key]}")
    if html_path:
        Path(html_path).write_text(svc.notice_html(case_id, on=on), encoding="utf-8")
        click.echo(f"公告已写入 {html_path}")


# -- place-name signs (地名标志) -------------------------------------------------------------
@main.group()
def signs() -> None:
    """地名标志：登记、巡检、检查（汉字、拼音与地名记录不符，超期未巡检）。"""


@signs.command("list")
@click.option(
    "--status", type=click.Choice(["in_service", "damaged", "removed"]), help="只列出该状态"
)
@click.option("--name-id", default=None, help="只列出显示该地名记录的标志")
@pass_ctx
@reports_errors
def signs_list(ctx: Context, status: str | None, name_id: str | None) -> None:
    """列出标志：编号、类型、汉字、拼音、地名记录、状态、经纬度。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import SIGN_STATUS_LABELS, SIGN_TYPE_LABELS

    found = Signs(ctx.store).query(status=status, name_id=name_id)
    if not found:
        click.echo("没有地名标志")
    for s in found:
        where = f"{s.location.x:.6f},{s.location.y:.6f}" if s.location is not None else ""
        click.echo(
            f"{s.sign_id}\t{SIGN_TYPE_LABELS[s.sign_type]}\t{s.text}\t{s.pinyin}\t{s.name_id}\t"
            f"{SIGN_STATUS_LABELS[s.status]}\t{where}"
        )


@signs.command("register")
@click.argument("name_id")
@click.option("--lon", type=float, required=True, help="经度（CGCS2000）")
@click.option("--lat", type=float, required=True, help="纬度（CGCS2000）")
@click.option(
    "--type",
    "sign_type",
    default="road",
    show_default=True,
    help="标志类型：road 路牌、house_number 门牌、village 村牌、natural 自然实体标志、other",
)
@click.option("--text", default=None, help="标志实际所示汉字（默认为地名记录的标准名称）")
@click.option("--pinyin", default=None, help="标志实际所示拼音（默认为地名记录的拼音）")
@click.option("--installed-on", default=None, metavar="YYYY-MM-DD", help="设置日期")
@click.option("--installer", default="", help="设置单位")
@click.option("--sign-id", default="", help="标志编号（默认自动编号）")
@click.option("--remarks", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def signs_register(
    ctx: Context,
    name_id: str,
    lon: float,
    lat: float,
    sign_type: str,
    text: str | None,
    pinyin: str | None,
    installed_on: str | None,
    installer: str,
    sign_id: str,
    remarks: str,
    actor: str,
) -> None:
    """登记显示地名记录 NAME_ID 的标志，并列出它的检查结果。"""
    from shapely import Point

    from geociv.gazetteer.signs import Signs

    svc = Signs(ctx.store)
    record = ctx.store.get_name(name_id.strip())
    sign = svc.register(
        name_id,
        Point(lon, lat),
        sign_type,
        text if text is not None else (record.name if record else ""),
        actor=actor,
        pinyin=pinyin if pinyin is not None else (record.pinyin if record else ""),
        installed_on=installed_on,
        installer=installer,
        remarks=remarks,
        sign_id=sign_id,
    )
    click.echo(f"已登记 {sign.sign_id}：{sign.text} {sign.pinyin}")
    for f in svc.findings():
        if f.related[0] == sign.sign_id:
            click.echo(f"  [{f.rule_id}] {f.message}")


@signs.command("patrol")
@click.argument("sign_id")
@click.argument("condition")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="巡检日期（默认今天）")
@click.option("--inspector", default=None, help="巡检人（默认为运行命令的本机用户）")
@click.option("--remarks", default="", help="备注")
@click.option("--photo", type=InputFile("照片"), help="现场照片")
@local_admin
@pass_ctx
@reports_errors
def signs_patrol(
    ctx: Context,
    sign_id: str,
    condition: str,
    on: str | None,
    inspector: str | None,
    remarks: str,
    photo: str | None,
    actor: str,
) -> None:
    """记录一次巡检。CONDITION：intact 完好、soiled 污损、broken 破损、missing 缺失、
    obscured 被遮挡（也可写中文）。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import PATROL_CONDITION_LABELS

    content = Path(photo).read_bytes() if photo else None
    done = Signs(ctx.store).patrol(
        sign_id,
        condition,
        actor=actor,
        on=on,
        inspector=inspector,
        remarks=remarks,
        photo=content,
        photo_filename=Path(photo).name if photo else "",
    )
    click.echo(
        f"已记录 {done.sign_id} 于 {done.patrolled_on} 的巡检："
        f"{PATROL_CONDITION_LABELS[done.condition]}"
    )


@signs.command("status")
@click.argument("sign_id")
@click.argument("status", type=click.Choice(["in_service", "damaged", "removed"]))
@click.option("--remarks", default="", help="说明（如 道路改造拆除）")
@local_admin
@pass_ctx
@reports_errors
def signs_status(ctx: Context, sign_id: str, status: str, remarks: str, actor: str) -> None:
    """更改标志状态：in_service 在用、damaged 损坏、removed 已拆除（标志不删除）。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import SIGN_STATUS_LABELS

    sign = Signs(ctx.store).set_status(sign_id, status, actor=actor, remarks=remarks)
    click.echo(f"{sign.sign_id} 状态：{SIGN_STATUS_LABELS[sign.status]}")


@signs.command("findings")
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="计算巡检间隔到哪一天")
@click.option(
    "--patrol-days",
    type=click.IntRange(min=0),
    default=365,
    show_default=True,
    help="巡检周期（天）",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_ctx
@reports_errors
def signs_findings(ctx: Context, today: str | None, patrol_days: int, as_json: bool) -> None:
    """检查全部在用标志：汉字、拼音与地名记录不符（N8-SIGN-TEXT/PINYIN），超期未巡检
    （N8-SIGN-PATROL）；有问题时退出码为 3。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import SEVERITY_LABELS

    found = Signs(ctx.store).findings(today=today, patrol_days=patrol_days)
    for f in found:
        if as_json:
            click.echo(json.dumps(f.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{f.related[0]}\t[{f.rule_id}] {SEVERITY_LABELS[f.severity]}：{f.message}")
    if not as_json:
        click.echo(f"共 {len(found)} 条")
    if found:
        sys.exit(3)


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
            click.echo(f"{cell_time(e.at)}\t{e.actor}\t{e.action}\t{e.entity}:{e.entity_key}\t{e.note}")
