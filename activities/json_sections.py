"""Read a JSON document `{"<section>": [ {...}, ... ], ...}` one list item at a time.

`json.loads` of a directory with a million subscribers holds every row as a dict at once
(gigabytes); this reader decodes one item at a time with `JSONDecoder.raw_decode` from a
window of the file, so memory stays at the size of one read buffer and one item, whatever
the size of the file (issue 13.9). Syntax errors are reported with the line and column of the
whole file, as `json.loads` would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

_CHUNK = 1 << 20  # characters read at a time
_WHITESPACE = " \t\n\r"
_MAX_ITEM = 4 * _CHUNK  # an item larger than this is not a directory row


class JsonSectionsError(ValueError):
    """The document is not `{section: [items]}` or not valid JSON; `problem` says where."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


class _Window:
    """The not yet decoded part of the file, with its absolute position for messages."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.buf = ""
        self.pos = 0  # position in buf
        self.offset = 0  # absolute character offset of buf[0]
        self.lines = 0  # newlines before buf[0]
        self.eof = False

    def fill(self) -> bool:
        """Read more; False at the end of the file (then nothing moves, so positions of an
        error just found stay valid). Drops what was already decoded."""
        if self.eof:
            return False
        chunk = self.fh.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        done = self.buf[: self.pos]
        self.lines += done.count("\n")
        self.offset += self.pos
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        return True

    def skip_ws(self) -> None:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf) or not self.fill():
                return

    def peek(self) -> str:
        self.skip_ws()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def where(self, pos: int | None = None) -> str:
        pos = self.pos if pos is None else pos
        before = self.buf[:pos]
        line = self.lines + before.count("\n") + 1
        if self.lines == 0 or "\n" in before:
            col = pos - before.rfind("\n")
        else:  # the line began in an earlier window: count from the window start
            col = pos + 1
        return f"line {line} column {col} (char {self.offset + pos})"

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise JsonSectionsError(f"cannot read JSON: Expecting {what}: {self.where()}")
        self.pos += 1

    def value(self, decoder: json.JSONDecoder) -> Any:
        """Decode the next complete value, reading more of the file until it is complete."""
        self.skip_ws()
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # Maybe the value continues past the window: read on, unless at the end or
                # the value is already far longer than any directory row (a real error).
                if len(self.buf) - self.pos < _MAX_ITEM and self.fill():
                    continue
                problem = f"cannot read JSON: {exc.msg}: {self.where(exc.pos)}"
                raise JsonSectionsError(problem) from None
            # A number at the very end of the window may continue in the next one.
            if end == len(self.buf) and not self.eof and self.fill():
                continue
            self.pos = end
            return value


def read_sections(fh: IO[str]) -> Iterator[tuple[str, int, Any]]:
    """Yield `(section, n, item)` for every item of every top-level list, n counting from 1.

    A list section first yields `(section, -1, None)`, so that even an empty one is seen; a
    section whose value is not a list yields `(section, 0, value)` once, so that the caller can
    refuse it in its own words.
    """
    decoder = json.JSONDecoder()
    w = _Window(fh)
    w.fill()
    if w.peek() != "{":
        raise JsonSectionsError("the file must hold one JSON object")
    w.pos += 1
    if w.peek() == "}":
        w.pos += 1
    else:
        while True:
            w.skip_ws()
            key = w.value(decoder)
            if not isinstance(key, str):
                raise JsonSectionsError(
                    f"cannot read JSON: Expecting property name enclosed in double quotes: "
                    f"{w.where()}"
                )
            w.expect(":", "':' delimiter")
            if w.peek() != "[":
                yield key, 0, w.value(decoder)
            else:
                w.pos += 1
                n = 0
                yield key, -1, None
                if w.peek() == "]":
                    w.pos += 1
                else:
                    while True:
                        n += 1
                        yield key, n, w.value(decoder)
                        if w.peek() == ",":
                            w.pos += 1
                            continue
                        w.expect("]", "',' delimiter")
                        break
            if w.peek() == ",":
                w.pos += 1
                continue
            w.expect("}", "',' delimiter")
            break
    if w.peek() != "":
        raise JsonSectionsError(f"cannot read JSON: Extra data: {w.where()}")
