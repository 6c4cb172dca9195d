"""Township duty search: the Flask application.

`create_app(test_config=None)` follows the Flask tutorial's application factory. The search
settings come from the environment through `search.config.SearchConfig.from_env` (TDS_INDEX_DIR,
TDS_MODEL, ES_URL, …); this layer adds only the web's own (TDS_PORT, TDS_THREADS in serve.py, and
TDS_QUERY_LOG: a file to log the questions asked to, for review — search_app/querylog.py).

Tests may pass `ENGINE_HOLDER` (anything with `.get()` returning an engine) in `test_config`.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from urllib.parse import unquote_to_bytes

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from search.config import SearchConfig, index_root
from search.errors import BackendUnavailable, BadRequest, IndexNotReady, NotFound

REPO_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

ALLOWED_METHODS = ("GET", "HEAD")

SECURITY_HEADERS = {
    # No inline scripts or styles anywhere; the pages need only our own stylesheet.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "headers_too_large",
    500: "internal_error",
    503: "index_not_ready",
}


def default_config() -> dict:
    return {
        "INDEX_DIR": str(index_root()),
        "MODEL": SearchConfig.from_env().model or None,
        # GET requests carry no body; anything bigger than this is refused with 413.
        "MAX_CONTENT_LENGTH": 16 * 1024,
        "MAX_FORM_MEMORY_SIZE": 16 * 1024,
        "MAX_FORM_PARTS": 10,
        "PROVIDE_AUTOMATIC_OPTIONS": False,
        "DEBUG": False,
        "PROPAGATE_EXCEPTIONS": False,
        "TRAP_HTTP_EXCEPTIONS": False,
        "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        "ENGINE_HOLDER": None,
        "QUERY_LOG": os.environ.get("TDS_QUERY_LOG", ""),
    }


def make_holder(config: dict):
    from search.holder import EngineHolder

    return EngineHolder(index_dir=config["INDEX_DIR"], model=config["MODEL"])


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(default_config())
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    holder = app.config["ENGINE_HOLDER"] or make_holder(app.config)
    app.extensions["tds.holder"] = holder
    from search_app.querylog import QueryLog

    app.extensions["tds.query_log"] = QueryLog(app.config["QUERY_LOG"]) if app.config["QUERY_LOG"] else None

    from search_app import api, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    pages.register_template_helpers(app)
    _register_request_guards(app)
    _register_error_handlers(app)
    return app


def _wants_json() -> bool:
    path = request.path or ""
    return path == "/api" or path.startswith("/api/") or request.method not in ALLOWED_METHODS


def error_response(status: int, code: str, message: str, param: str | None = None, headers=None):
    if _wants_json():
        body = {"error": {"code": code, "message": message}}
        if param:
            body["error"]["param"] = param
        response = jsonify(body)
    else:
        response = app_render_error(status, code, message)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def app_render_error(status: int, code: str, message: str):
    from flask import make_response

    try:
        html = render_template("error.html", status=status, code=code, message=message)
    except Exception:  # never let the error page itself fail
        log.exception("error page failed to render")
        html = f"<!doctype html><title>{status}</title><p>{status}</p>"
    return make_response(html)


def _register_request_guards(app: Flask) -> None:
    @app.before_request
    def only_get_and_small():
        if request.method not in ALLOWED_METHODS:
            raise MethodNotAllowed(valid_methods=list(ALLOWED_METHODS))
        length = request.content_length
        limit = app.config["MAX_CONTENT_LENGTH"]
        if length is not None and limit is not None and length > limit:
            raise RequestEntityTooLarge()
        try:  # werkzeug would replace undecodable bytes with U+FFFD and search for those
            unquote_to_bytes(request.query_string.decode("latin-1").replace("+", " ")).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("查询参数不是有效的 UTF-8 文本（请用 UTF-8 编码）", None, "invalid_encoding") from None

    @app.after_request
    def security_headers(response):
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.path.startswith("/api"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest):
        return error_response(400, exc.code, exc.message or "请求参数无效", exc.param)

    @app.errorhandler(NotFound)
    def engine_not_found(exc):
        return error_response(404, "not_found", str(exc) or "未找到")

    @app.errorhandler(IndexNotReady)
    def index_not_ready(exc):
        log.warning("index not ready: %s", exc)
        return error_response(503, "index_not_ready", f"索引尚未就绪：{exc}", headers={"Retry-After": "30"})

    @app.errorhandler(BackendUnavailable)
    def backend_unavailable(exc):
        log.warning("search backend unavailable: %s", exc)
        return error_response(503, "backend_unavailable",
                              f"{exc}；关键词检索暂不可用，语义检索（mode=semantic）仍可使用",
                              headers={"Retry-After": "10"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        code = ERROR_CODES.get(status, f"http_{status}")
        messages = {
            404: "没有这个地址",
            405: "只支持 GET 和 HEAD 请求",
            413: "请求体过大",
        }
        headers = {}
        if status == 405:
            headers["Allow"] = ", ".join(ALLOWED_METHODS)
        message = messages.get(status) or (exc.description or exc.name)
        return error_response(status, code, message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "服务器内部错误")
