"""How Laravel 8 / PHP 8 read a request and write an answer, as far as the Flexacore API shows it.

Input: JSON-only bodies merged with a PHP-parsed query string, TrimStrings and
ConvertEmptyStringsToNull, ``FILTER_VALIDATE_INT`` for the page number, the ``required``
rule and Ultimate SMS's PHONE rule. Output: ``json_encode`` bytes (escaped slashes and
non-ASCII), the HANDLER's error envelopes and the production HTML error pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from werkzeug.wrappers import Request, Response

PHP_INT_MAX = 2**63 - 1
TRIM_CHARS = " \t\n\r\0\x0b"  # PHP trim()'s default set

MSG_UNAUTHENTICATED = "Unauthenticated."
MSG_INVALID = "The given data was invalid."
MSG_UNAUTHORIZED = "This action is unauthorized."
MSG_CSRF = "CSRF token mismatch."
MSG_THROTTLED = "Too Many Attempts."
MSG_403 = "Sorry, but you do not have permissions to access this page."
MSG_404 = "Sorry, but the page you were trying to view does not exist."
MSG_WENT_WRONG = "Something went wrong. Please try again"

HTML_TITLES = {
    401: "Unauthorized",
    404: "Not Found",
    419: "Page Expired",
    500: "Server Error",
}


class LaravelError(Exception):
    """An exception the app's HANDLER renders.

    A request that wants JSON gets HTTP 200 ``{status: "error", message}`` (no ``data``
    key); any other request gets the production HTML page for ``html_status``.
    """

    def __init__(self, message: str, *, html_status: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.html_status = html_status


# --- output ------------------------------------------------------------------------------


def php_json(payload: object) -> bytes:
    """``json_encode`` with Laravel's default flags: compact, ``\\/`` and ``\\uXXXX`` escapes."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    # a "/" can only occur inside a JSON string, so a plain replace is exact
    return text.replace("/", "\\/").encode("ascii")


def json_response(payload: object, status: int = 200) -> Response:
    response = Response(php_json(payload), status=status, content_type="application/json")
    response.headers["Cache-Control"] = "no-cache, private"
    return response


def success(data: object, message: str | None = None) -> Response:
    """ApiResponser ``success()``: always all three keys, always HTTP 200."""
    return json_response({"status": "success", "message": message, "data": data})


def api_error(status: int, message: str) -> Response:
    """ApiResponser ``error()``: a real HTTP status and ``data: null``."""
    return json_response({"status": "error", "message": message, "data": None}, status)


def html_page(status: int) -> Response:
    title = HTML_TITLES.get(status, "Error")
    body = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n"
        f'<div class="code">{status}</div>\n<div class="message">{title}</div>\n'
        "</body>\n</html>\n"
    )
    response = Response(body, status=status, content_type="text/html; charset=UTF-8")
    response.headers["Cache-Control"] = "no-cache, private"
    return response


def render_error(error: LaravelError, wants_json: bool) -> Response:
    if wants_json:
        return json_response({"status": "error", "message": error.message})
    return html_page(error.html_status)


def timestamp(epoch: int) -> str:
    """Laravel 8's date serialisation: ISO-8601 UTC with six (zero) microsecond digits."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def date_cast(value: str | None) -> str | None:
    """A `date`-cast column: midnight UTC of that day, serialised like a timestamp."""
    return None if value is None else f"{value}T00:00:00.000000Z"


# --- request -----------------------------------------------------------------------------


def is_json_content(request: Request) -> bool:
    """``Request::isJson()``: the Content-Type mentions ``/json`` or ``+json``."""
    ctype = request.headers.get("Content-Type", "").lower()
    return "/json" in ctype or "+json" in ctype


def _first_accepted(accept: str) -> str:
    """The media type Symfony puts first: highest ``q``, ties in header order."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, index, media.lower()))
    return min(ranked)[2] if ranked else ""


def expects_json(request: Request) -> bool:
    """``Request::expectsJson()``: JSON first in Accept, or an XHR that accepts anything."""
    first = _first_accepted(request.headers.get("Accept", ""))
    if "/json" in first or "+json" in first:
        return True
    xhr = request.headers.get("X-Requested-With", "") == "XMLHttpRequest"
    return xhr and first in ("", "*/*", "*")


def parse_query(query: bytes) -> dict[str, Any]:
    """PHP ``parse_str`` for the shapes a client sends: last value wins, ``a[]``/``a[k]``
    become arrays, and dots and spaces in names turn into underscores (so ``first.name``
    arrives as ``first_name``)."""
    out: dict[str, Any] = {}
    for pair in query.decode("utf-8", "replace").split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key, value = unquote_plus(raw_key), unquote_plus(raw_value)
        base, bracket, rest = key.partition("[")
        base = base.replace(".", "_").replace(" ", "_")
        if not base:
            continue
        if bracket and "]" in rest:
            sub = rest[: rest.index("]")]
            container = out.get(base)
            if not isinstance(container, dict):
                container = {}
                out[base] = container
            container[sub if sub else str(len(container))] = value
        else:
            out[base] = value
    return out


def decode_body(raw: bytes) -> dict[str, Any]:
    """``(array) json_decode($body, true)``: anything that is not JSON counts as empty."""
    try:
        text = raw.decode("utf-8")
        decoded = json.loads(text, parse_constant=_reject_constant) if text else None
    except (UnicodeDecodeError, ValueError):
        return {}
    if decoded is None:
        return {}
    if isinstance(decoded, dict):
        return decoded
    if isinstance(decoded, list):
        return {str(i): v for i, v in enumerate(decoded)}
    return {"0": decoded}


def _reject_constant(name: str) -> object:
    raise ValueError(f"PHP's json_decode has no {name}")


def clean(value: Any) -> Any:
    """TrimStrings then ConvertEmptyStringsToNull, into arrays too."""
    if isinstance(value, str):
        trimmed = value.strip(TRIM_CHARS)
        return trimmed or None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def request_input(request: Request) -> dict[str, Any]:
    """What ``$request->input()`` holds once ForceJsonResponse has run (spec §2).

    The query string is always cleaned; the body only when the client's own Content-Type
    was JSON, because only then was it parsed before the global middleware ran.
    """
    query = clean(parse_query(request.query_string))
    body = decode_body(request.get_data(cache=True))
    if is_json_content(request):
        body = clean(body)
    merged = dict(body)
    for key, value in query.items():
        merged.setdefault(key, value)  # the body wins
    return merged


# --- middleware ---


class Throttle:
    """3.0.1's ``throttle:api``: a fixed window of 60 s per client IP, opened by its first hit."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, now: float, limit: int) -> list[tuple[str, str]] | None:
        """The headers for an allowed request, or None when the limit is reached."""
        count, reset_at = self._windows.get(key, (0, now + 60))
        if now >= reset_at:
            count, reset_at = 0, now + 60
        if count >= limit:
            return None
        count += 1
        self._windows[key] = (count, reset_at)
        return [("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remaining", str(limit - count))]


def from_frontend(source: str, domains: Iterable[str]) -> bool:
    """Sanctum's ``fromFrontend``: Referer/Origin without scheme, against ``<domain>/*``."""
    domain = source.replace("https://", "", 1).replace("http://", "", 1)
    if not domain.endswith("/"):
        domain += "/"
    for raw in domains:
        entry = raw.strip()
        if not entry:
            continue
        pattern = re.escape(entry + "/*").replace(r"\*", ".*")
        if re.fullmatch(pattern, domain, re.DOTALL):
            return True
    return False


# --- PHP values --------------------------------------------------------------------------


def php_string(value: Any) -> str:
    """PHP's string conversion of a scalar (as it lands in a varchar column)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace("e+", "E+").replace("e-", "E-")
    return str(value)


_INT_TEXT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")


def filter_int(value: Any) -> int | None:
    """``filter_var($value, FILTER_VALIDATE_INT)``: the int, or None where PHP says false."""
    if isinstance(value, bool):
        return 1 if value else None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= PHP_INT_MAX else None
    if not isinstance(value, str):
        return None
    text = value.strip(" \t\n\r\x0b")
    if not _INT_TEXT.fullmatch(text):
        return None
    number = int(text)
    return number if -PHP_INT_MAX - 1 <= number <= PHP_INT_MAX else None


def is_filled(value: Any) -> bool:
    """Laravel's ``required`` rule."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list | dict):
        return len(value) > 0
    return True


# The PHONE rule (app/Rules/Phone.php), per spec §4: an optional "+"/"00" country prefix
# (1-3 digits, optionally in parentheses), digit groups that may sit in parentheses and be
# separated by one of  - . space / \ , and an optional "#", "x", "ext", "ext." or
# "extension" suffix with digits. Everything is optional, so length does the real work.
_SEP = r"[-. \\/]"
_PHONE = re.compile(
    rf"(?:(?:\(?(?:00|\+)(?:[1-4][0-9]{{2}}|[1-9][0-9]?)\)?)?{_SEP}?)?"
    rf"(?:\(?[0-9]+\)?{_SEP}?)*"
    rf"(?:{_SEP}?(?:\#|ext\.?|extension|x){_SEP}?[0-9]+)?",
    re.IGNORECASE,
)


def passes_phone_rule(value: Any) -> bool:
    """PHONE: regex match and a length of 7-17 bytes, separators included.

    Raises `LaravelError` for arrays, as PHP 8's ``preg_match`` throws a TypeError there.
    """
    if isinstance(value, list | dict):
        raise LaravelError(
            "preg_match(): Argument #2 ($subject) must be of type string, array given"
        )
    text = php_string(value)
    # the length test first: it is cheap, and bounds the regex's backtracking
    if not 7 <= len(text.encode("utf-8")) <= 17:
        return False
    # PCRE's "$" also matches before one final newline
    return _PHONE.fullmatch(text.removesuffix("\n")) is not None
