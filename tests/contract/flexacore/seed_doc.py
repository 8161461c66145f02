"""The curl examples of Flexacore's public Contacts API page, read out of the page itself.

``data/flexacore-contacts-api-v3.txt`` is a verbatim copy of
``shared/seeds/flexacore-contacts-api-v3.txt``, kept in the repository so the tests do not
depend on a path outside it. An example starts at a line beginning with ``curl`` and
continues while a line ends with a backslash *and* the next line is another curl option:
three examples end their last header with ``\\`` although the next line is the page's
"Returns" heading, which a shell would otherwise pass to curl as a second URL.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SEED = Path(__file__).parent / "data" / "flexacore-contacts-api-v3.txt"
DOC_ROOT = "https://one.flexacore.com"
DOC_GROUP = "6065ecdc9184a"
DOC_CONTACT = "606732aec8705"
_ENDPOINT = re.compile(r"^https://one\.flexacore\.com(/api/v3/contacts(?:/\{group_id\}/\w+)?.*)$")


@dataclass(frozen=True)
class CurlExample:
    """One example request: curl's arguments as the page gives them, and its route."""

    title: str
    argv: tuple[str, ...]

    @property
    def url(self) -> str:
        return next(a for a in self.argv if a.startswith(DOC_ROOT))

    @property
    def method(self) -> str:
        return self.argv[self.argv.index("-X") + 1]

    @property
    def action(self) -> str:
        """The route's verb segment: store, search, update, delete or all."""
        return urlsplit(self.url).path.split("/")[5]

    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for flag, value in zip(self.argv, self.argv[1:], strict=False):
            if flag == "-H":
                name, _, text = value.partition(":")
                out[name.strip()] = text.strip()
        return out

    def with_target(self, root: str, token: str, group: str, contact: str) -> list[str]:
        """The argv with host, key and uids swapped for the simulator's."""
        out: list[str] = []
        for arg in self.argv:
            if arg.startswith(DOC_ROOT):
                url = arg.replace(DOC_ROOT, root).replace(DOC_GROUP, group)
                out.append(url.replace(DOC_CONTACT, contact))
            elif arg.startswith("Authorization: Bearer "):
                out.append(f"Authorization: Bearer {token}")
            else:
                out.append(arg)
        return out


def _title_before(lines: list[str], index: int) -> str:
    """The section heading: the line before the "API Endpoint" that precedes the example."""
    for back in range(index - 1, 0, -1):
        if lines[back].strip() == "API Endpoint":
            return lines[back - 1].strip()
    return ""


def curl_examples(text: str | None = None) -> list[CurlExample]:
    lines = (text if text is not None else SEED.read_text(encoding="utf-8")).splitlines()
    examples: list[CurlExample] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("curl "):
            index += 1
            continue
        start = index
        parts = [lines[index].rstrip()]
        while (
            parts[-1].endswith("\\")
            and index + 1 < len(lines)
            and lines[index + 1].lstrip().startswith("-")
        ):
            parts[-1] = parts[-1][:-1]
            index += 1
            parts.append(lines[index].rstrip())
        parts[-1] = parts[-1].removesuffix("\\")
        examples.append(
            CurlExample(_title_before(lines, start), tuple(shlex.split(" ".join(parts))))
        )
        index += 1
    return examples


def documented_endpoints(text: str | None = None) -> list[str]:
    """Every "API Endpoint" path the page lists, e.g. ``/api/v3/contacts/{group_id}/store``."""
    lines = (text if text is not None else SEED.read_text(encoding="utf-8")).splitlines()
    out = []
    for line in lines:
        match = _ENDPOINT.match(line.strip())
        if match:
            out.append(match.group(1))
    return out
