"""What every ``geociv`` command shares: the context with its lazily opened store, errors
reported in Chinese, checked input and output files, the local administrator as actor.

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
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from geociv.config import Settings
from geociv.errors import GeocivError, InputFileError, Problem, ValidationError
from geociv.store import Store, open_store

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


class LazyGroup(click.Group):
    """A group whose sub-groups live in other command modules, named ``module:attribute`` in
    ``lazy`` and imported only when asked for (so command modules never import one another).
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self.lazy:
            from importlib import import_module

            module, attribute = self.lazy[name].split(":")
            command = getattr(import_module(module), attribute)
            self.add_command(command, name)
        return command


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


#: ``--on`` (or ``--date``): the day a step is taken, ``YYYY-MM-DD`` (default today).
on_option = click.option(
    "--on", "--date", "on", default=None, metavar="YYYY-MM-DD", help="办理日期（默认今天）"
)


def read_password(prompt: str, from_stdin: bool) -> str:
    """A password from the first line of standard input (``--password-stdin``) or typed at a
    hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True)
