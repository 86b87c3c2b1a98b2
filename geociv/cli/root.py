"""The ``geociv`` command group: every domain's commands, each group imported only when
asked for (so ``geociv --help`` stays light), and the commands other packages register under
the ``geociv.commands`` entry-point group (``web`` contributes ``geociv serve``)."""

from __future__ import annotations

from typing import Any, ClassVar

import click

from geociv import __version__
from geociv.cli.common import (
    CONTEXT_SETTINGS,
    Context,
    LazyGroup,
    errors_reported,
)


class _PluginGroup(LazyGroup):
    """The root group: geociv's domains loaded lazily (:class:`LazyGroup`), and the commands
    registered under the ``geociv.commands`` entry-point group, loaded only when asked for.
    This is how ``web`` contributes ``geociv serve`` without ``geociv`` importing ``web``."""

    #: The commands of geociv, one module per domain (``module:attribute``), imported when
    #: asked for.
    LAZY: ClassVar[dict[str, str]] = {
        "init": "geociv.cli.store:init",
        "backup": "geociv.cli.store:backup_command",
        "restore": "geociv.cli.store:restore_command",
        "store": "geociv.cli.transfer:store",
        "user": "geociv.cli.users:user",
        "audit": "geociv.cli.users:audit",
        "divisions": "geociv.cli.divisions:divisions",
        "names": "geociv.cli.names:names",
        "cases": "geociv.cli.cases:cases",
        "signs": "geociv.cli.signs:signs",
        "boundaries": "geociv.cli.boundaries:boundaries",
        "coverage": "geociv.cli.coverage:coverage",
    }

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="geociv.commands")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, lazy=self.LAZY, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command asked for, its parameters and its group's set-up inside
        :func:`errors_reported` (so a missing input file or an unknown id is never a traceback)."""
        with errors_reported():
            return super().invoke(ctx)

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
    metavar="PATH|URL",
    help="存储位置：GeoPackage 文件（默认 instance/geociv.gpkg）或 PostgreSQL 数据库 "
    "postgresql://用户@主机:端口/库名；也可用环境变量 GEOCIV_STORE",
)
@click.pass_context
def main(ctx: click.Context, store: str | None) -> None:
    """geociv：民政区划地名、界线联检与 15 分钟服务圈 GIS 服务。"""
    ctx.obj = Context(store)
    ctx.call_on_close(ctx.obj.close)
