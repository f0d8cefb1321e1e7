"""Progress that reads well both live and in a log file.

On a terminal, :func:`progress` is a tqdm bar. When the output is a file or
a CI log, a redrawn bar would be written again at every refresh (15 KB for
eight GRU epochs), so it prints one plain line every ``step`` share of the
work instead (and one at the end).
"""
from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator


def is_terminal(stream=None) -> bool:
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class LineProgress:
    """An iterable that prints ``desc: 30% (42/139, 12 s, 0.29 s/it) loss=..`` at every ``step`` of the total."""

    def __init__(self, iterable: Iterable, desc: str, total: int | None = None, step: float = 0.1, stream=None):
        self.iterable = iterable
        self.desc = desc
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.step = step
        self.stream = stream or sys.stderr
        self.postfix = ""

    def set_postfix(self, **values) -> None:
        self.postfix = " ".join(f"{k}={v}" for k, v in values.items())

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text

    def _line(self, done: int, started: float) -> str:
        seconds = time.perf_counter() - started
        share = f"{100 * done / self.total:.0f}% ({done}/{self.total}" if self.total else f"({done}"
        rate = f", {seconds / done:.2f} s/it" if done else ""
        return f"{self.desc}: {share}, {seconds:.0f} s{rate})" + (f" {self.postfix}" if self.postfix else "")

    def __iter__(self) -> Iterator:
        started = time.perf_counter()
        next_mark = self.step
        done = 0
        for item in self.iterable:
            yield item
            done += 1
            if self.total and done / self.total >= next_mark - 1e-9 and done < self.total:
                print(self._line(done, started), file=self.stream, flush=True)
                while next_mark <= done / self.total + 1e-9:
                    next_mark += self.step
        print(self._line(done, started), file=self.stream, flush=True)


def progress(iterable: Iterable, desc: str, *, enabled: bool = True, total: int | None = None,
             step: float = 0.1, **tqdm_kwargs):
    """A live bar on a terminal, a line per ``step`` of the work in a log, or ``iterable`` itself when disabled."""
    if not enabled:
        return _Quiet(iterable)
    if is_terminal():
        # tqdm.std, not tqdm.auto: the latter's asyncio class opens an extra iterator over
        # ``iterable`` when it is made, and a DataLoader iterator draws a seed from torch's
        # global generator, so the bar itself would change a training run.
        from tqdm.std import tqdm

        return tqdm(iterable, desc=desc, total=total, **tqdm_kwargs)
    return LineProgress(iterable, desc, total=total, step=step)


class _Quiet:
    """``iterable`` with the bar methods, doing nothing."""

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix(self, **values) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass
