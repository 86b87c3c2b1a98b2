"""``geociv`` command line: one module per domain.

========================  ==========================================================
:mod:`~geociv.cli.root`   the ``geociv`` group (:func:`main`), loading the others lazily
:mod:`~geociv.cli.common` the context, error reporting and file parameters they share
``store``                 ``init``, ``backup``, ``restore``
``users``                 ``user``, ``audit``
``divisions``             ``divisions``
``names``, ``cases``,     the gazetteer: place names, naming cases, signs
``signs``
``boundaries``            the joint inspection of boundary lines
``coverage``              15-minute service coverage
========================  ==========================================================

Every command reads the store location from ``--store`` or ``GEOCIV_STORE`` (default
``instance/geociv.gpkg``). Errors print a clear message in Chinese and exit non-zero.
"""

from geociv.cli.common import (
    Context,
    InputFile,
    OutputFile,
    errors_reported,
    local_admin,
    pass_ctx,
    read_password,
    reports_errors,
)
from geociv.cli.root import main

__all__ = [
    "Context",
    "InputFile",
    "OutputFile",
    "errors_reported",
    "local_admin",
    "main",
    "pass_ctx",
    "read_password",
    "reports_errors",
]
