"""Reading Flexacore (Ultimate SMS v3) answers: the envelope, its error texts, and its shapes.

Ultimate SMS reports almost every failure as HTTP 200 with ``{"status": "error",
"message": ...}``: auth, validation, unknown uids, wrong verbs, PHP and SQL exceptions.
So the ``status`` field decides success, never the HTTP code alone; the only real codes
are 403 (the token lacks an ability) and 404 (contact not in that group on update/delete).
Each known message maps to one typed error with plain words; the server's own text goes
to ``detail`` only. See ``shared/spec/flexacore-v3-contract.md`` sections 3, 6, 7 and 12.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from contactdesk.core.errors import (
    AuthRefused,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.providers.http import HttpAnswer, retry_after_seconds

#: how long to hold off after "Too Many Attempts." when the server gives no Retry-After
#: (Ultimate SMS drops the header when it rewrites the throttle error; its window is 1 min)
DEFAULT_RETRY_AFTER = 60.0

#: server text kept in ``detail`` is cut here: HTML pages can be long
DETAIL_LIMIT = 500

# Laravel's model-binding miss: "No query results for model [App\Models\Contacts] 62321a0f4c1d2"
_NO_QUERY_RESULTS = re.compile(r"No query results for model \[([^\]]*)\]")
_WRONG_VERB = re.compile(r"The \w+ method is not supported for this route")
_PLUS_SIGN = "Could not interpret numbers after plus-sign."

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Action:
    """What a call was trying to do, so an error can say it in plain words.

    ``doing`` completes "may not ..." / "could not ..." (e.g. "change contacts").
    ``invalid`` is the message for the server's detail-free "The given data was invalid."
    (our own checks run first, so reaching it means something we could not check).
    """

    doing: str
    invalid: str = "Flexacore refused the values sent. Check them and try again."
    invalid_field: str | None = None
    #: the kind of thing a bare 404 refers to ("contact" on C4/C5)
    subject: str = "contact"
    #: message for a foreign-key SQL error (G4 with an unknown ``sending_server`` id)
    foreign_key: str | None = None


class PhoneSavedButRejected(ValidationFailed):
    """C3 saved the row, then failed to parse the phone ("after plus-sign").

    Raised only inside the client: creating a contact re-lists the group after it, so the
    saved row is returned instead of being created a second time.
    """


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= DETAIL_LIMIT else text[:DETAIL_LIMIT] + "…"


def _config_error(message: str, detail: str) -> UnexpectedAnswer:
    # a wrong base URL or a server that is not Ultimate SMS 3: repeating it cannot help
    err = UnexpectedAnswer(message, detail=detail)
    err.transient = False
    return err


_ADDRESS_HINT = (
    "Check the server address in account settings: it is the address of your SMS "
    "platform followed by /api/v3, for example https://one.flexacore.com/api/v3"
)


def error_for(answer: HttpAnswer, action: Action) -> ProviderError:
    """The typed error for an answer that is not a success envelope."""
    body = answer.body
    code = answer.status
    if not isinstance(body, dict):
        if code == 429:
            return RateLimited(
                _slow_down(retry_after_seconds(answer.headers, DEFAULT_RETRY_AFTER)),
                retry_after=retry_after_seconds(answer.headers, DEFAULT_RETRY_AFTER),
                detail=_clip(answer.text),
            )
        return UnexpectedAnswer(
            f"Flexacore sent an answer Contact Desk cannot read (HTTP {code}), as a busy "
            "proxy or a maintenance page does. Try again in a minute; if it keeps "
            "happening, check the server address in account settings.",
            detail=_clip(answer.text),
        )
    raw = body.get("message")
    message = raw if isinstance(raw, str) else ""
    detail = _clip(message) if message else _clip(answer.text)
    if body.get("status") != "error":
        # not the Ultimate SMS envelope at all: a 5xx from PHP-FPM, a proxy, another product
        if code >= 500:
            return ServerError(_server_failed(action), detail=detail)
        if code == 429:
            wait = retry_after_seconds(answer.headers, DEFAULT_RETRY_AFTER)
            return RateLimited(_slow_down(wait), retry_after=wait, detail=detail)
        return UnexpectedAnswer(
            f"Flexacore answered in a shape Contact Desk does not know (HTTP {code}). "
            + _ADDRESS_HINT,
            detail=_clip(answer.text),
        )
    return _error_from_message(message, code, answer, action, detail)


def _error_from_message(
    message: str, code: int, answer: HttpAnswer, action: Action, detail: str
) -> ProviderError:
    text = message.strip()
    if text == "Unauthenticated.":
        return AuthRefused(
            "Flexacore refused the API token. Open account settings and paste a current "
            "token (in Flexacore: Developers, API token).",
            detail=detail,
        )
    if code == 403:
        # a token ability: abilities are frozen when the token is minted (contract 6.3)
        return PermissionDenied(
            f"The API token may not {action.doing}. Flexacore tokens keep the permissions "
            "the account had when they were made: generate a new token in Flexacore "
            "(Developers), then paste it in account settings.",
            detail=detail,
        )
    if text == "This action is unauthorized.":
        return PermissionDenied(
            f"Your Flexacore account may not {action.doing}. Ask your Flexacore administrator "
            "for that permission; if it was granted recently, also generate a new API token "
            "in Flexacore (Developers) and paste it in account settings.",
            detail=detail,
        )
    missing = _NO_QUERY_RESULTS.search(text)
    if missing is not None:
        model = missing.group(1).rsplit("\\", 1)[-1]
        if model == "ContactGroups":
            return NotFound(
                "This group no longer exists on Flexacore. It may have been deleted; "
                "refresh the list of groups.",
                detail=detail,
            )
        return NotFound(
            "This contact no longer exists on Flexacore. Someone may have deleted it.",
            detail=detail,
        )
    if code == 404:
        # C4/C5: the uid exists but not in the group named in the URL
        return NotFound(
            f"This {action.subject} is no longer in this group on Flexacore. "
            "Someone may have deleted or moved it.",
            detail=detail,
        )
    if text == "The given data was invalid.":
        return ValidationFailed(action.invalid, field=action.invalid_field, detail=detail)
    if text == "Too Many Attempts.":
        wait = retry_after_seconds(answer.headers, DEFAULT_RETRY_AFTER)
        return RateLimited(_slow_down(wait), retry_after=wait, detail=detail)
    if text == _PLUS_SIGN:
        return PhoneSavedButRejected(
            "Flexacore saved the contact but could not read its phone number. Write the "
            "number in international form (country code first), without a leading 0 or 00.",
            field="phone",
            detail=detail,
        )
    if text.startswith("Sorry! This option is not available in demo mode"):
        return PermissionDenied(
            "This Flexacore server runs in demo mode and does not allow changes.",
            detail=detail,
        )
    if text == "" or _WRONG_VERB.match(text):
        # the router's own errors: the URL does not reach the contacts API
        return _config_error(
            "The server at this address does not answer like Ultimate SMS 3. " + _ADDRESS_HINT,
            detail or "(empty message)",
        )
    if action.foreign_key is not None and text.startswith("SQLSTATE[23000]"):
        # an integrity-constraint failure: the id we sent points at nothing
        return ValidationFailed(action.foreign_key, field=action.invalid_field, detail=detail)
    # PHP warnings ("Undefined array key"), other SQLSTATE texts, CSRF and anything new
    return ServerError(_server_failed(action), detail=detail)


def _server_failed(action: Action) -> str:
    return (
        f"Flexacore had an internal problem and could not {action.doing}. Try again in a "
        "few minutes; if it keeps happening, copy the details for your provider's support."
    )


def _slow_down(wait: float) -> str:
    return (
        "Flexacore asked Contact Desk to slow down. "
        f"It will try again in about {max(1, round(wait))} seconds."
    )


def success_data(answer: HttpAnswer, action: Action) -> Any:
    """``data`` of a success envelope, or raise the typed error for anything else."""
    body = answer.body
    if isinstance(body, dict) and body.get("status") == "success" and 200 <= answer.status < 300:
        if "data" not in body:
            raise UnexpectedAnswer(
                "Flexacore answered without the data Contact Desk asked for.",
                detail=_clip(answer.text),
            )
        return body["data"]
    if isinstance(body, dict) and body.get("status") == "success":
        # "success" with a failure code is a proxy or a broken build; never trust it
        raise UnexpectedAnswer(
            f"Flexacore sent a contradictory answer (HTTP {answer.status}).",
            detail=_clip(answer.text),
        )
    raise error_for(answer, action)


def interpreter(action: Action, shape: Callable[[Any], T]) -> Callable[[HttpAnswer], T]:
    """An ``interpret`` callback for the HTTP layer: envelope check, then ``shape(data)``."""

    def interpret(answer: HttpAnswer) -> T:
        return shape(success_data(answer, action))

    return interpret
