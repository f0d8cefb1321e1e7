"""The data contract: one record type for an annotated example.

Every loader produces :class:`Example` objects, every model batch is built
from them, and every metric and plot reads them back. Gold rationales are
stored as half-open token spans ``[start, end)``; :meth:`Example.mask` turns
them into the 0/1 token mask that models and metrics use.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

Span = tuple[int, int]


class DataFormatError(ValueError):
    """A data file does not match the format its loader expects.

    The message always names the file and, when known, the line and field.
    """

    def __init__(self, path, line: int | None, problem: str):
        where = f"{path}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


def parse_json_object(line: str, path, lineno: int) -> dict:
    """One line of a JSON-lines file that must hold an object."""
    import json

    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataFormatError(path, lineno, f"not valid JSON ({err.msg})") from None
    if not isinstance(obj, dict):
        raise DataFormatError(path, lineno, "expected a JSON object")
    return obj


def mask_to_spans(mask: Sequence[int]) -> tuple[Span, ...]:
    """Maximal runs of 1s in a 0/1 mask, as ``[start, end)`` spans."""
    spans, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(mask)))
    return tuple(spans)


def spans_to_mask(spans: Iterable[Span], length: int) -> list[int]:
    """0/1 mask of ``length`` tokens with every span set (spans may overlap)."""
    mask = [0] * length
    for start, end in spans:
        for i in range(max(start, 0), min(end, length)):
            mask[i] = 1
    return mask


@dataclass(frozen=True)
class Example:
    """One labelled text, optionally with a human (or generated) rationale.

    ``spans`` is ``None`` when the example carries no rationale annotation
    (training and dev reviews of Beer), and a possibly empty tuple when it is
    annotated. ``source`` says where the example was read from
    (``file:line``) so a reader can find it again.
    """

    id: str
    tokens: tuple[str, ...]
    label: int
    aspect: int
    source: str
    spans: tuple[Span, ...] | None = None
    scores: tuple[float, ...] = field(default=(), compare=False)

    @property
    def annotated(self) -> bool:
        return self.spans is not None

    def mask(self) -> list[int]:
        """Gold 0/1 token mask (all zeros when not annotated)."""
        return spans_to_mask(self.spans or (), len(self.tokens))

    def truncate(self, max_len: int) -> "Example":
        """The first ``max_len`` tokens, spans clipped to them."""
        if len(self.tokens) <= max_len:
            return self
        spans = None
        if self.spans is not None:
            spans = tuple((s, min(e, max_len)) for s, e in self.spans if s < max_len)
        return replace(self, tokens=self.tokens[:max_len], spans=spans)

    def to_row(self) -> dict:
        """A flat row for a Hugging Face ``datasets`` table."""
        return {
            "id": self.id,
            "tokens": list(self.tokens),
            "label": int(self.label),
            "aspect": int(self.aspect),
            "source": self.source,
            "annotated": self.annotated,
            "rationale": self.mask(),
        }

    @classmethod
    def from_row(cls, row: dict) -> "Example":
        spans = mask_to_spans(row["rationale"]) if row["annotated"] else None
        return cls(id=row["id"], tokens=tuple(row["tokens"]), label=int(row["label"]),
                   aspect=int(row["aspect"]), source=row["source"], spans=spans)


@dataclass
class Splits:
    """The three splits a trainer needs; ``test`` is the annotated set."""

    train: list[Example]
    dev: list[Example]
    test: list[Example]

    def items(self):
        return (("train", self.train), ("dev", self.dev), ("test", self.test))
