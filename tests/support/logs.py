"""Capture everything the proxy process says: fd-level stdout/stderr and every log record.

Two nets, because each misses something the other catches:
- `capfd` sees whatever reaches file descriptors 1 and 2 (Powertools' JSON lines, EMF metrics,
  warnings, thread tracebacks, anything a C extension prints).
- A handler on the root logger at DEBUG sees every record that any logger (botocore, urllib3,
  Powertools internals, ours) lets through, rendered with all its attributes, arguments and
  exception chain, before any formatter could drop a field.

Powertools' handler keeps the `sys.stdout` object it found when the handler module was first
imported; under pytest that is whatever capture was active then (and pytest swaps capture files
between a test's phases), so for the duration the handler writes through `CurrentStdout` to
whatever `sys.stdout` is at the moment. On Lambda both are simply the process's stdout.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

FINISHED = "token request finished"


def render_record(record: logging.LogRecord) -> str:
    """Everything a record carries, as text: message, raw args, extra fields, exception chain."""
    parts = [record.name, record.levelname]
    try:
        parts.append(record.getMessage())
    except Exception:  # a broken format string must not hide the raw values
        parts.append(repr(record.msg))
    parts.append(repr(record.args))
    parts.append(repr(vars(record)))
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.rendered: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.rendered.append(render_record(record))


@dataclass
class CapturedOutput:
    """What the process wrote since the capture started; `collect()` moves new fd output in."""

    capfd: pytest.CaptureFixture[str]
    handler: RecordingHandler
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def collect(self) -> str:
        """Read fd output written since the last call; returns just that new stdout text."""
        out, err = self.capfd.readouterr()
        self.stdout.append(out)
        self.stderr.append(err)
        return out

    def everything(self) -> str:
        self.collect()
        return "\n".join(["".join(self.stdout), "".join(self.stderr), *self.handler.rendered])

    def json_lines(self, text: str | None = None) -> list[dict[str, Any]]:
        """Powertools' structured log lines (EMF metric documents excluded)."""
        source = self.collect() if text is None else text
        lines = []
        for line in source.splitlines():
            if line.startswith("{"):
                document = json.loads(line)
                if isinstance(document, dict) and "level" in document and "message" in document:
                    lines.append(document)
        return lines

    def finished_lines(self, text: str | None = None) -> list[dict[str, Any]]:
        return [line for line in self.json_lines(text) if line["message"] == FINISHED]


class CurrentStdout:
    """A stream that writes to whatever `sys.stdout` is when it is written to."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def powertools_handlers() -> list[logging.Handler]:
    from proxy.observability import logger

    return [logger.logger_handler]


@contextmanager
def captured_output(capfd: pytest.CaptureFixture[str]) -> Iterator[CapturedOutput]:
    """Capture fds 1 and 2 and every log record at DEBUG until the block ends."""
    root = logging.getLogger()
    handler = RecordingHandler()
    previous_root_level = root.level
    streams: list[tuple[logging.StreamHandler[Any], Any]] = []
    for powertools_handler in powertools_handlers():
        if isinstance(powertools_handler, logging.StreamHandler):
            streams.append((powertools_handler, powertools_handler.stream))
            powertools_handler.stream = CurrentStdout()  # not setStream: it flushes the old, maybe closed, stream
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    capfd.readouterr()  # start clean
    try:
        yield CapturedOutput(capfd, handler)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_root_level)
        for stream_handler, stream in streams:
            stream_handler.stream = stream
