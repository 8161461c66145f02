"""The TextFlow public doc read back into its parts: curl examples, example responses, Python.

``data/textflow-contacts-api-v1.txt`` is a verbatim copy of
``shared/seeds/textflow-contacts-api-v1.txt`` (the vendor's page scraped to text), kept in
the repository so the tests do not depend on a path outside it. The scrape lost line
breaks in three ways; we undo each by a rule instead of retyping any example:

1. A heading is glued to the end of the line before it, and its marker line
   ``Section titled “X”`` is glued to the first line of the section. Rule: drop the marker
   into its own heading entry, and cut X off the end of the previous line.
2. Inside a code block, a line that started at column 0 is glued to the previous one
   (``"...here"BASE_URL = ...``, ``...)print(result)``), and an indented line is joined
   to the previous one by a single space (indentation collapsed). Rule: two expressions
   cannot stand side by side in Python, so at bracket depth 0 a name, keyword or
   ``def``/``return``/statement ``if`` that follows a complete expression starts a new
   statement. A ``def`` header ends at its colon; its body runs to its ``return``
   (both example functions end with one) and is indented four spaces.
3. The only comment, ``# Usage`` (the same heading the Node.js and PHP examples use,
   ``// Usage``), is glued to the statement after it; we split it off.
"""

from __future__ import annotations

import io
import json
import keyword
import re
import shlex
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = Path(__file__).parent / "data" / "textflow-contacts-api-v1.txt"
DOC_BASE_URL = "https://textflow.telair.net/api"
DOC_KEY = "sk_live_your_api_key_here"

_MARKER = re.compile(r"^Section titled “([^”]+)”")
# one curl argument: an option with its value, a quoted string, or a bare URL; each after
# blanks and maybe a "\ " whose line break the scrape removed
_CURL_ARG = re.compile(
    r"""\s+(?:\\\s+)?(-[A-Za-z]\s+(?:"[^"]*"|'[^']*'|\S+)|"[^"]*"|'[^']*'|https?://\S+)"""
)
_EXPR_END = {tokenize.NAME, tokenize.STRING, tokenize.NUMBER}
_OPERATOR_WORDS = {"and", "or", "not", "in", "is", "else", "for", "lambda", "await"}


@dataclass(frozen=True)
class Entry:
    """One recovered line of the doc: a heading or a line of text."""

    heading: bool
    text: str


def doc_entries(text: str | None = None) -> list[Entry]:
    raw = (text if text is not None else SEED.read_text(encoding="utf-8")).splitlines()
    out: list[Entry] = []
    for i, scraped in enumerate(raw):
        line = scraped
        marker = _MARKER.match(line)
        if marker:
            out.append(Entry(True, marker.group(1)))
            line = line[marker.end() :]
        following = _MARKER.match(raw[i + 1]) if i + 1 < len(raw) else None
        if following and line.endswith(following.group(1)):
            line = line[: -len(following.group(1))]
        if line.strip():
            out.append(Entry(False, line))
    return out


@dataclass(frozen=True)
class CurlExample:
    """A curl command from the doc and the example response documented for it (if any)."""

    command: str  # the command as the doc gives it, line continuations undone
    response: dict[str, Any] | None

    def argv(self, replacements: dict[str, str]) -> list[str]:
        command = self.command
        for old, new in replacements.items():
            command = command.replace(old, new)
        return shlex.split(command)

    @property
    def method(self) -> str:
        args = shlex.split(self.command)
        return args[args.index("-X") + 1] if "-X" in args else "GET"


def _curl_command(line: str) -> str:
    pos = len("curl")
    parts = ["curl"]
    while (match := _CURL_ARG.match(line, pos)) is not None:
        parts.append(match.group(1))
        pos = match.end()
    # what follows the last argument is prose glued on by the scrape ("Or using UUID:")
    assert not line[pos:].strip().startswith("-"), line
    return " ".join(parts)


def curl_examples(entries: list[Entry] | None = None) -> list[CurlExample]:
    """Every curl command in doc order, each paired with its section's example response.

    A heading other than "Example Request"/"Example Response" closes a section, so the
    authentication example (which has no response of its own) is paired with nothing.
    """
    entries = entries if entries is not None else doc_entries()
    out: list[CurlExample] = []
    pending: list[str] = []
    awaiting_response = False
    for entry in entries:
        if entry.heading:
            awaiting_response = entry.text == "Example Response"
            if entry.text not in ("Example Request", "Example Response"):
                out += [CurlExample(c, None) for c in pending]
                pending = []
        elif entry.text.startswith("curl "):
            pending.append(_curl_command(entry.text))
        elif awaiting_response and entry.text.startswith("{"):
            response = json.loads(entry.text)
            out += [CurlExample(c, response) for c in pending]
            pending = []
            awaiting_response = False
    return out + [CurlExample(c, None) for c in pending]


def documented_error_envelope(entries: list[Entry] | None = None) -> dict[str, Any]:
    entries = entries if entries is not None else doc_entries()
    i = next(n for n, e in enumerate(entries) if e.heading and e.text == "Error Response Format")
    result: dict[str, Any] = json.loads(entries[i + 1].text)
    return result


def documented_errors(entries: list[Entry] | None = None) -> list[tuple[int, str]]:
    """The rows of the doc's "Common Errors" table: (status, error words)."""
    entries = entries if entries is not None else doc_entries()
    rows: list[tuple[int, str]] = []
    for entry in entries:
        # the scrape turned each "| 400 | Invalid ... | ... |" row into "400 | Invalid ... |"
        if not entry.heading and re.fullmatch(r"\d{3} \| [^|]+ \| [^|]+ \|", entry.text):
            status, words, _ = (p.strip() for p in entry.text.split("|", 2))
            rows.append((int(status), words))
    return rows


def python_block(entries: list[Entry] | None = None) -> list[str]:
    """The Python example's lines exactly as the scrape left them."""
    entries = entries if entries is not None else doc_entries()
    start = next(n for n, e in enumerate(entries) if e.heading and e.text == "Python")
    block: list[str] = []
    for entry in entries[start + 1 :]:
        if entry.heading:
            break
        block.append(entry.text)
    return block


def python_example(entries: list[Entry] | None = None) -> str:
    """The doc's Python example as runnable source (see the module docstring for how)."""
    statements: list[str] = []
    for scraped in python_block(entries):
        line = scraped
        comment = re.match(r"(# Usage)(\S.*)$", line)
        if comment:
            statements.append(comment.group(1))
            line = comment.group(2)
        statements += _split_statements(line)
    out: list[str] = []
    in_function = False
    for stmt in statements:
        out.append(("    " if in_function and not stmt.startswith("def ") else "") + stmt)
        if stmt.startswith("def "):
            in_function = True
        elif stmt.startswith("return "):
            in_function = False
    return "\n".join(out) + "\n"


def _split_statements(line: str) -> list[str]:
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(line).readline)
        if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.COMMENT)
    ]
    cuts: list[int] = []
    depth = 0
    starts_def = bool(tokens) and tokens[0].string == "def"
    def_header_open = starts_def
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        if depth == 0 and prev is not None and _starts_statement(tokens, i, prev):
            cuts.append(tok.start[1])
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif depth == 0 and def_header_open and tok.string == ":":
            # a def header ends at its colon; the body goes on the following lines
            cuts.append(tok.end[1])
            def_header_open = False
    pieces = [line[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
    return [p for p in pieces if p]


def _starts_statement(tokens: list[tokenize.TokenInfo], i: int, prev: tokenize.TokenInfo) -> bool:
    tok = tokens[i]
    prev_is_keyword = keyword.iskeyword(prev.string) and prev.string not in (
        "True",
        "False",
        "None",
    )
    prev_ends_expr = prev.type in _EXPR_END or prev.string in (")", "]", "}")
    if not prev_ends_expr or prev_is_keyword:
        return False
    if tok.type != tokenize.NAME or tok.string in _OPERATOR_WORDS:
        return False
    if tok.string == "if":
        # a conditional expression has an `else`; a statement `if` reaches its colon first
        depth = 0
        for later in tokens[i + 1 :]:
            if later.string in "([{":
                depth += 1
            elif later.string in ")]}":
                depth -= 1
            elif depth == 0 and later.string in (":", "else"):
                return later.string == ":"
        return False
    return True
