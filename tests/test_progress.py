"""The progress bar: drawn only on a terminal and without --quiet; rate, ETA, throttling, erasing."""
from __future__ import annotations

import io

import pytest

from rewrite.progress import ERASE, ProgressBar, format_duration, render


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _bar(stream: io.StringIO | None = None, quiet: bool = False, clock: Clock | None = None) -> ProgressBar:
    return ProgressBar(Terminal() if stream is None else stream, quiet=quiet, clock=clock or Clock(), columns=100)


def test_draws_done_total_rate_and_eta():
    clock = Clock()
    bar = _bar(clock=clock)
    clock.now += 2.0
    bar(50, 200)
    assert bar.stream.getvalue() == ERASE + "[" + "#" * 10 + "." * 30 + "] 50/200 files  25%  25.0 files/s  ETA 0:06"


@pytest.mark.parametrize("stream", (io.StringIO(), Terminal()), ids=("not a terminal", "quiet"))
def test_silent_when_not_a_terminal_or_quiet(stream):
    bar = _bar(stream, quiet=isinstance(stream, Terminal))
    bar(1, 2)
    bar(2, 2)
    bar.close()
    assert stream.getvalue() == ""


def test_stream_without_isatty_is_not_a_terminal():
    class Sink:
        def write(self, text: str) -> int:
            raise AssertionError("written")

    bar = ProgressBar(Sink(), columns=80)  # type: ignore[arg-type]
    bar(1, 1)
    assert not bar.enabled


def test_redraws_at_most_every_interval_but_always_at_the_end():
    clock = Clock()
    bar = _bar(clock=clock)
    for done in range(1, 10):
        clock.now += 0.03
        bar(done, 10)
    draws = bar.stream.getvalue().count(ERASE)
    assert draws == 3  # at 0.03 s, 0.15 s, 0.27 s
    clock.now += 0.01
    bar(10, 10)
    assert bar.stream.getvalue().count(ERASE) == 4
    assert bar.stream.getvalue().endswith(" 10/10 files 100%  35.7 files/s  ETA 0:00")  # 10 files in 0.28 s


def test_write_prints_above_the_bar_and_close_erases_it():
    clock = Clock()
    bar = _bar(clock=clock)
    bar.write("before any bar")
    clock.now += 1
    bar(1, 4)
    line = bar.line
    bar.write("Writing dest/httpd")
    with bar:
        pass
    assert bar.stream.getvalue() == ("before any bar\n" + ERASE + line + ERASE + "Writing dest/httpd\n" + line + ERASE)
    bar.close()
    assert bar.stream.getvalue().endswith(line + ERASE)


def test_write_when_silent_prints_the_line_alone():
    stream = io.StringIO()
    ProgressBar(stream, columns=80).write("Writing dest/httpd")
    assert stream.getvalue() == "Writing dest/httpd\n"


@pytest.mark.parametrize(("done", "total", "elapsed", "columns", "expected"), (
    (0, 10, 0.0, 80, "[" + "." * 40 + "] 0/10 files   0%  0.0 files/s  ETA ?"),
    (0, 0, 1.0, 80, "[" + "#" * 40 + "] 0/0 files 100%  0.0 files/s  ETA ?"),
    pytest.param(3, 4, 3.0, 40, "[#######...] 3/4 files  75%  1.0 files/", id="narrow: bar of 10, line cut"),
))
def test_render(done, total, elapsed, columns, expected):
    assert render(done, total, elapsed, columns) == expected


@pytest.mark.parametrize(("seconds", "text"), ((0, "0:00"), (59.4, "0:59"), (59.6, "1:00"), (3599, "59:59"),
                                              (3600, "1:00:00"), (7384, "2:03:04")))
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_terminal_width_from_the_stream(monkeypatch):
    monkeypatch.setenv("COLUMNS", "123")
    assert ProgressBar(Terminal()).columns == 123  # StringIO has no fileno: the fallback
