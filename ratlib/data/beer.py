"""BeerAdvocate in Lei et al.'s (2016) release format: reader and writer.

Files, under their original names in one folder:

* ``reviews.aspect{0,1,2}.{train,heldout}.txt.gz`` - decorrelated subsets;
* ``reviews.260k.{train,heldout}.txt.gz`` - the correlated set;
* ``annotations.json`` - the annotated test reviews.

A review line is five scores in [0, 1] separated by spaces (appearance,
aroma, palate, taste, overall), a TAB, then space-separated lower-cased
tokens. ``annotations.json`` holds one JSON object per line with keys ``x``
(tokens), ``y`` (five scores), ``"0"``..``"4"`` (``[start, end)`` spans per
aspect), ``raw`` and ``rid``.

The generated benchmark writes the same files, so this module is the one
code path for both. The data itself is not redistributable and never ships
with ratlib.
"""
from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .record import DataFormatError, Example, Splits, parse_json_object
from .registry import DataConfig, balance, register_dataset

N_SCORES = 5
ASPECTS = ("appearance", "aroma", "palate", "taste", "overall")
POS_THRESHOLD = 0.6
NEG_THRESHOLD = 0.4


def review_files(correlated: bool, aspect: int) -> tuple[str, str]:
    """Train and dev (heldout) file names for a setting."""
    stem = "reviews.260k" if correlated else f"reviews.aspect{aspect}"
    return f"{stem}.train.txt.gz", f"{stem}.heldout.txt.gz"


ANNOTATIONS = "annotations.json"


def label_of(score: float) -> int | None:
    """Binary label of an aspect score; ``None`` for the dropped middle band."""
    if score >= POS_THRESHOLD:
        return 1
    if score <= NEG_THRESHOLD:
        return 0
    return None


def _open_text(path: Path):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def parse_review_line(line: str, path, lineno: int) -> tuple[tuple[float, ...], list[str]]:
    """Scores and tokens of one review line; raises :class:`DataFormatError`."""
    line = line.rstrip("\n").rstrip("\r")
    if "\t" not in line:
        raise DataFormatError(path, lineno, "expected five scores, a TAB, then the review tokens; found no TAB")
    head, text = line.split("\t", 1)
    fields = head.split()
    if len(fields) != N_SCORES:
        raise DataFormatError(path, lineno, f"expected {N_SCORES} scores before the TAB, found {len(fields)}: {head!r}")
    try:
        scores = tuple(float(f) for f in fields)
    except ValueError:
        raise DataFormatError(path, lineno, f"scores must be numbers in [0, 1], found {head!r}") from None
    if any(not 0.0 <= s <= 1.0 for s in scores):
        raise DataFormatError(path, lineno, f"scores must lie in [0, 1], found {head!r}")
    tokens = text.split()
    if not tokens:
        raise DataFormatError(path, lineno, "the review text after the TAB is empty")
    return scores, tokens


def iter_reviews(path: Path) -> Iterator[tuple[int, tuple[float, ...], list[str]]]:
    """(line number, scores, tokens) for every non-empty line of a review file."""
    with _open_text(path) as handle:
        for lineno, line in enumerate(handle, start=1):
            if line.strip():
                scores, tokens = parse_review_line(line, path, lineno)
                yield lineno, scores, tokens


def read_reviews(path: Path, aspect: int, max_len: int) -> list[Example]:
    """Labelled examples for one aspect; reviews in the middle band are dropped."""
    out = []
    for lineno, scores, tokens in iter_reviews(path):
        label = label_of(scores[aspect])
        if label is None:
            continue
        ex = Example(id=f"{path.name}:{lineno}", tokens=tuple(tokens), label=label, aspect=aspect,
                     source=f"{path.name}:{lineno}", scores=scores)
        out.append(ex.truncate(max_len))
    return out


def parse_annotation_line(line: str, path, lineno: int) -> dict:
    """One record of ``annotations.json`` with its spans checked."""
    obj = parse_json_object(line, path, lineno)
    for key in ("x", "y"):
        if key not in obj:
            raise DataFormatError(path, lineno, f"missing key {key!r}")
    tokens = obj["x"]
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        raise DataFormatError(path, lineno, "field 'x' must be a non-empty list of token strings")
    scores = obj["y"]
    if not isinstance(scores, list) or len(scores) != N_SCORES:
        raise DataFormatError(path, lineno, f"field 'y' must hold {N_SCORES} scores")
    try:
        obj["y"] = [float(s) for s in scores]
    except (TypeError, ValueError):
        raise DataFormatError(path, lineno, f"field 'y' must hold numbers, found {scores!r}") from None
    for k in range(N_SCORES):
        spans = obj.get(str(k), [])
        if not isinstance(spans, list):
            raise DataFormatError(path, lineno, f"field {str(k)!r} must be a list of [start, end] spans")
        for span in spans:
            if (not isinstance(span, list) or len(span) != 2
                    or not all(isinstance(v, int) for v in span)):
                raise DataFormatError(path, lineno, f"field {str(k)!r}: span {span!r} is not [start, end]")
            start, end = span
            if not 0 <= start < end <= len(tokens):
                raise DataFormatError(
                    path, lineno,
                    f"field {str(k)!r}: span {span!r} out of range for a review of {len(tokens)} tokens")
        obj[str(k)] = [tuple(s) for s in spans]
    return obj


def read_annotations(path: Path, aspect: int, max_len: int) -> list[Example]:
    """The annotated set for one aspect.

    A review is kept when it has at least one span for the aspect and its
    score for the aspect passes the label thresholds (as the official
    loaders do), then truncated like every other split.
    """
    out = []
    with _open_text(path) as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            obj = parse_annotation_line(line, path, lineno)
            spans = obj[str(aspect)]
            label = label_of(obj["y"][aspect])
            if not spans or label is None:
                continue
            rid = obj.get("rid", lineno)
            ex = Example(id=f"{path.name}:{rid}", tokens=tuple(obj["x"]), label=label, aspect=aspect,
                         source=f"{path.name}:{lineno}", spans=tuple(sorted(spans)),
                         scores=tuple(obj["y"]))
            out.append(ex.truncate(max_len))
    return out


def require_file(data_dir: str | os.PathLike, name: str, dataset: str, hint: str) -> Path:
    """The path of a data file, or a clear error naming what is missing and where."""
    path = Path(data_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"{dataset}: file {name!r} not found in {Path(data_dir).resolve()}. {hint}")
    return path


BEER_HINT = ("The BeerAdvocate data (Lei et al. 2016) is not redistributable and is never downloaded by "
             "ratlib: copy the original files, under their original names, into that folder "
             "(see README, 'Real data').")


def read_lei_splits(data_dir, config: DataConfig, dataset: str = "beer", hint: str = BEER_HINT) -> Splits:
    """Train/dev/test for one aspect from a folder of Lei-format files."""
    if not 0 <= config.aspect < N_SCORES:
        raise ValueError(f"{dataset}: aspect must be in 0..{N_SCORES - 1}, got {config.aspect}")
    train_name, dev_name = review_files(config.correlated, config.aspect)
    train_path = require_file(data_dir, train_name, dataset, hint)
    dev_path = require_file(data_dir, dev_name, dataset, hint)
    test_path = require_file(data_dir, ANNOTATIONS, dataset, hint)
    train = balance(read_reviews(train_path, config.aspect, config.max_len), config.balance_seed)
    dev = read_reviews(dev_path, config.aspect, config.max_len)
    if config.balance_dev:
        dev = balance(dev, config.balance_seed)
    test = read_annotations(test_path, config.aspect, config.max_len)
    return Splits(train=train, dev=dev, test=test)


@register_dataset("beer")
def build_beer(config: DataConfig) -> Splits:
    if not config.data_dir:
        raise ValueError("beer: give --data-dir, the folder holding Lei et al.'s files. " + BEER_HINT)
    return read_lei_splits(config.data_dir, config)


# ---------------------------------------------------------------- writing

def format_scores(scores: Sequence[float]) -> str:
    return " ".join(f"{s:.1f}" if round(s, 1) == s else repr(float(s)) for s in scores)


def write_reviews(path: Path, rows: Iterable[tuple[Sequence[float], Sequence[str]]]) -> None:
    """Write (scores, tokens) rows as a Lei review file (gzip when the name ends in .gz)."""
    from ..io import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        # filename="" and mtime=0 keep the gzip bytes identical across runs of the same content
        # (GzipFile would otherwise store the temporary file's name and the time).
        stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if str(path).endswith(".gz") else raw
        with stream, io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as handle:
            for scores, tokens in rows:
                if len(scores) != N_SCORES:
                    raise ValueError(f"a review needs {N_SCORES} scores, got {len(scores)}")
                handle.write(f"{format_scores(scores)}\t{' '.join(tokens)}\n")


def write_annotations(path: Path, records: Iterable[dict]) -> None:
    """Write annotation records (keys x, y, "0".."4", raw, rid) one JSON per line."""
    from ..io import atomic_path

    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        for rec in records:
            out = {"x": list(rec["x"]), "y": list(rec["y"])}
            for k in range(N_SCORES):
                out[str(k)] = [list(s) for s in rec.get(str(k), [])]
            out["raw"] = rec.get("raw", " ".join(rec["x"]))
            out["rid"] = rec.get("rid")
            handle.write(json.dumps(out) + "\n")
