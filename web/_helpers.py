"""Small pieces the blueprints share: the store, the session user, role checks, error bodies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

from flask import Flask, abort, current_app, flash, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from geociv.auth import has_role
from geociv.errors import (
    AuthenticationError,
    BusyError,
    ConflictError,
    GeocivError,
    PermissionDeniedError,
    UnknownRecordError,
    ValidationError,
)
from geociv.labels import ROLE_LABELS
from geociv.store import Store, User
from web.words import labelled, problem_html

if TYPE_CHECKING:
    from geociv.gazetteer.cases import Cases
    from geociv.gazetteer.names import Gazetteer
    from geociv.gazetteer.search import NameSearch
    from geociv.gazetteer.signs import Signs

logger = logging.getLogger(__name__)

class SessionUser:
    """Flask-Login's view of a :class:`geociv.store.User`."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        # The session version goes into the session: bumping it in the store ends the session.
        return f"{self.user.username}:{self.user.session_version}"

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.user.role]


def store() -> Store:
    """The store of the running app."""
    return current_app.extensions["geociv_store"]


def gazetteer() -> Gazetteer:
    """The app's gazetteer service (its validator cache lives as long as the app)."""
    from geociv.gazetteer.names import Gazetteer

    ext = current_app.extensions
    if "geociv_gazetteer" not in ext:
        ext["geociv_gazetteer"] = Gazetteer(store())
    return ext["geociv_gazetteer"]


def name_search() -> NameSearch:
    """The app's place-name search index."""
    from geociv.gazetteer.search import NameSearch

    ext = current_app.extensions
    if "geociv_name_search" not in ext:
        ext["geociv_name_search"] = NameSearch(store())
    return ext["geociv_name_search"]


def cases() -> Cases:
    """The naming/renaming case service on the app's store and gazetteer."""
    from geociv.gazetteer.cases import Cases

    return Cases(store(), gazetteer())


def signs() -> Signs:
    """The place-name sign service on the app's store and gazetteer."""
    from geociv.gazetteer.signs import Signs

    return Signs(store(), gazetteer())


def division_labels(codes: Iterable[str | None]) -> dict[str, str]:
    """adcode → name of the divisions a response shows (``codes``; ``None`` skipped), looked
    up by code: the cost follows the page, not the size of the store."""
    return store().division_names(c for c in codes if c)


def wants_json() -> bool:
    """Whether the request is for the JSON API."""
    return request.path.startswith("/api/")


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the view only to logged-in users with one of ``roles`` (admins always).

    A refused attempt is audited. API views answer 401/403 with a JSON body; pages redirect to
    the log-in page or show a 403 page.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if wants_json():
                    return jsonify(error="未登录", problems=[]), 401
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            require_user_role(*roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_user_role(*roles: str) -> None:
    """Inside a view: raise :class:`PermissionDeniedError` (audited) unless the logged-in user
    has one of ``roles``."""
    user: User = current_user.user
    if not has_role(user, *roles):
        store().record_event(
            actor=user.username,
            action="auth.denied",
            entity="endpoint",
            key=request.path,
            note=f"{request.method}，需要 {'/'.join(roles)}",
        )
        raise PermissionDeniedError(f"需要角色：{'、'.join(ROLE_LABELS[r] for r in roles)}")


def actor() -> str:
    """User name to attribute a write to."""
    return current_user.username if current_user.is_authenticated else "anonymous"


def flash_problems(exc: ValidationError, labels: Mapping[str, str] | None = None) -> None:
    """Flash the title of ``exc`` and then each of its problems in the page's words: the
    field's Chinese label, the message, the field's machine name as a small tag
    (:func:`web.words.problem_html`); ``labels`` overrides field labels for one page."""
    flash(exc.title, "error")
    for p in exc.problems:
        flash(problem_html(p, labels=labels), "error")


def flash_error(exc: Exception) -> None:
    """Flash a refusal: a :class:`ValidationError` problem by problem (:func:`flash_problems`),
    any other error by its message."""
    if isinstance(exc, ValidationError):
        flash_problems(exc)
    else:
        flash(str(exc), "error")


@contextmanager
def fields_renamed(**names: str) -> Iterator[None]:
    """Re-raise a :class:`ValidationError` from the block with its problems' fields renamed
    from the services' names to the request's (``fields_renamed(on="date")``)."""
    try:
        yield
    except ValidationError as exc:
        problems = [replace(p, field=names.get(p.field or "", p.field)) for p in exc.problems]
        if problems == exc.problems:
            raise
        try:
            renamed = type(exc)(problems, title=exc.title)
        except TypeError:  # a subclass with its own signature (e.g. RecordFinalError)
            renamed = ValidationError(problems, title=exc.title)
        raise renamed from None


def not_found(message: str) -> NoReturn:
    """Stop the request with a 404 whose page or JSON body says ``message``."""
    abort(make_response(_error(404, message)))


def error_response(status: int, title: str, problems: list[Any] | None = None) -> Any:
    """The error answer: ``{"error", "problems"}`` JSON under ``/api/``, else the Chinese error
    page. ``problems`` are :class:`~geociv.errors.Problem` objects or their dicts; each row
    gains the field's Chinese ``label`` (:func:`web.words.labelled`)."""
    rows = labelled(problems or [])
    if wants_json():
        return jsonify(error=title, problems=rows), status
    return render_template("error.html", status=status, title=title, problems=rows), status


_error = error_response

#: Status of each kind of domain error (the most specific class wins): conflicts with the
#: state of a record 409, unknown things 404, refusals 403, bad credentials 401, bad input 400.
#: Any other error is a bug: logged with its traceback and answered with a Chinese 500.
_HTTP_TITLES = {
    400: "请求有误",
    401: "未登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的请求方法",
    409: "与当前状态冲突",
    413: "请求体过大",
    429: "请求过多，请稍后再试",
}


#: The most specific error class first; anything else is a bug (500).
_STATUS_OF_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (ConflictError, 409),
    (AuthenticationError, 401),
    (PermissionError, 403),
    (BusyError, 429),
    (LookupError, 404),
    (ValueError, 400),
)


def _status_of(exc: GeocivError) -> int:
    if isinstance(exc, UnknownRecordError) and not _names_the_url(exc):
        return 400  # an unknown id in the body or query: bad input naming the field
    return next((status for kind, status in _STATUS_OF_ERROR if isinstance(exc, kind)), 500)


def _names_the_url(exc: ValidationError) -> bool:
    """Whether every problem is about a parameter of the URL's path (the record it names)."""
    path_parameters = request.view_args or {}
    return all(p.field in path_parameters for p in exc.problems)


def register_error_handlers(app: Flask) -> None:
    """JSON bodies for API errors, Chinese error pages elsewhere; every domain error gets its
    4xx (:func:`_status_of`); an unexpected exception is logged and answered with a 500."""

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> Any:
        return _error(_status_of(exc), exc.title, exc.problems)

    @app.errorhandler(PermissionDeniedError)
    def _denied(exc: PermissionDeniedError) -> Any:
        return _error(403, f"无权访问：{exc}")

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        return _error(400, f"表单已过期或缺少 CSRF 令牌（{exc.description}），请刷新页面后重试")

    @app.errorhandler(GeocivError)
    def _geociv(exc: GeocivError) -> Any:
        status = _status_of(exc)
        if status >= 500:
            logger.error("%s %s: %s", request.method, request.path, exc, exc_info=exc)
            return _error(500, "服务器内部错误，请稍后重试或联系管理员")
        return _error(status, str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = exc.code or 500
        title = _HTTP_TITLES.get(code, "请求有误" if code < 500 else "服务器内部错误")
        if code == 413:
            from web.params import body_limit, size_text

            limit = size_text(body_limit(request.endpoint))
            title = f"请求体过大：此处最多 {limit}（单个表单文本字段最多 500 KB）"
        return _error(code, title)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        logger.error("未处理的异常 %s %s", request.method, request.path, exc_info=exc)
        return _error(500, "服务器内部错误，请稍后重试或联系管理员")


__all__ = [
    "SessionUser",
    "abort",
    "actor",
    "cases",
    "error_response",
    "fields_renamed",
    "flash_error",
    "flash_problems",
    "not_found",
    "role_required",
    "signs",
    "store",
    "wants_json",
]
