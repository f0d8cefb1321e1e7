"""HotelReview (Wang et al. 2010) in the R2A release format (Bao et al. 2018).

The FR/DR/MGR/N2R line of work takes its Hotel data from the R2A archive
(``data.zip``, see :mod:`ratlib.data.sources`, entry ``"r2a-data"``) and
copies it into one folder:

* ``hotel_{Location,Service,Cleanliness}.{train,dev}`` - from the archive's
  ``data/oracle/``: labelled reviews, no rationales;
* ``annotations/hotel_{Location,Service,Cleanliness}.train`` - from
  ``data/target/``: the 200 reviews per aspect with human rationales (the
  test set, despite the ``.train`` suffix).

Pointing ``data_dir`` at the unpacked archive (the folder holding
``oracle/`` and ``target/``, or its parent) works as well.

Every file is tab-separated with a header line. The header written by R2A
is ``task  label  text`` and the annotated files add ``rationale`` (and may
carry further columns, which are ignored). Columns are found by these names;
a header without them is read by position (label 1, text 2, rationale 3), as
the official loaders do. Fields:

* ``label`` - already binary: the aspect rating was < 3 -> 0, > 3 -> 1, and
  reviews rated 3 were left out when the files were made; any other value
  is an error;
* ``text`` - lower-cased tokens joined by spaces; runs of whitespace are
  treated as one separator (R2A's own reader collapses double spaces);
* ``rationale`` - one 0/1 flag per token, joined by spaces.

Some rows of the release are reported to end with one surplus ``0`` flag;
surplus flags that are all 0 are dropped, any other length mismatch is an
error. The data is not redistributable here and never ships with ratlib.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .beer import require_file
from .record import DataFormatError, Example, Splits, mask_to_spans
from .registry import DataConfig, balance, register_dataset

ASPECTS = ("Location", "Service", "Cleanliness")
ANNOTATION_FOLDER = "annotations"

HOTEL_HINT = ("Get the R2A archive (ratlib.data.sources.fetch('r2a-data') online, or "
              "https://people.csail.mit.edu/yujia/files/r2a/data.zip), then copy "
              "data/oracle/hotel_<Aspect>.{train,dev} into that folder and "
              "data/target/hotel_<Aspect>.train into its 'annotations' subfolder, "
              "or point --data-dir at the unpacked archive.")


def aspect_name(aspect: int) -> str:
    if not 0 <= aspect < len(ASPECTS):
        raise ValueError(f"hotel: aspect must be 0 (Location), 1 (Service) or 2 (Cleanliness), got {aspect}")
    return ASPECTS[aspect]


def hotel_file(aspect: int, split: str) -> str:
    """File name of one split, e.g. ``hotel_Service.dev``."""
    return f"hotel_{aspect_name(aspect)}.{split}"


@dataclass(frozen=True)
class HotelRow:
    """One parsed line of an R2A file."""

    lineno: int
    label: int
    tokens: tuple[str, ...]
    rationale: tuple[int, ...] | None


def _columns(header: str, path: Path, with_rationale: bool) -> dict[str, int]:
    names = [name.strip().lower() for name in header.split("\t")]
    wanted = ("label", "text", "rationale") if with_rationale else ("label", "text")
    if all(name in names for name in wanted):
        return {name: names.index(name) for name in wanted}
    # The official loaders skip the header and read fixed positions.
    return {name: i for i, name in enumerate(wanted, start=1)}


def _parse_label(field: str, path: Path, lineno: int) -> int:
    try:
        value = float(field)
    except ValueError:
        raise DataFormatError(path, lineno, f"label must be 0 or 1, found {field!r}") from None
    if value not in (0.0, 1.0):
        raise DataFormatError(
            path, lineno,
            f"label must be 0 or 1 (the R2A files hold binary labels: rating < 3 -> 0, > 3 -> 1), found {field!r}")
    return int(value)


def _parse_rationale(field: str, n_tokens: int, path: Path, lineno: int) -> tuple[int, ...]:
    flags = []
    for flag in field.split():
        try:
            value = float(flag)
        except ValueError:
            value = -1.0
        if value not in (0.0, 1.0):
            raise DataFormatError(path, lineno, f"rationale flags must be 0 or 1, found {flag!r}")
        flags.append(int(value))
    surplus = flags[n_tokens:]
    if surplus and not any(surplus):
        flags = flags[:n_tokens]  # known quirk of the release: a trailing extra 0
    if len(flags) != n_tokens:
        raise DataFormatError(path, lineno, f"rationale has {len(flags)} flags for a text of {n_tokens} tokens")
    return tuple(flags)


def iter_rows(path: Path, with_rationale: bool) -> Iterator[HotelRow]:
    """Every data row of an R2A file (the header is read, not returned)."""
    with open(path, "rb") as handle:
        columns = None
        for lineno, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                raise DataFormatError(path, lineno, f"not valid UTF-8 ({err.reason})") from None
            if columns is None:
                columns = _columns(line, path, with_rationale)
                continue
            if not line.strip():
                continue
            fields = line.split("\t")
            need = max(columns.values()) + 1
            if len(fields) < need:
                missing = [name for name, i in columns.items() if i >= len(fields)]
                raise DataFormatError(
                    path, lineno,
                    f"expected at least {need} TAB-separated columns, found {len(fields)} "
                    f"(missing: {', '.join(missing)})")
            label = _parse_label(fields[columns["label"]].strip(), path, lineno)
            tokens = tuple(fields[columns["text"]].split())
            if not tokens:
                raise DataFormatError(path, lineno, "the text column is empty")
            rationale = None
            if with_rationale:
                rationale = _parse_rationale(fields[columns["rationale"]], len(tokens), path, lineno)
            yield HotelRow(lineno, label, tokens, rationale)
        if columns is None:
            raise DataFormatError(path, None, "the file is empty (expected a header line, then one review per line)")


def _truncated(examples: list[Example], max_len: int | None) -> list[Example]:
    return examples if max_len is None else [ex.truncate(max_len) for ex in examples]


def read_labelled(path: Path, aspect: int, max_len: int | None = None) -> list[Example]:
    """Train or dev reviews of one aspect, truncated to ``max_len`` tokens if given."""
    return _truncated([Example(id=f"{path.name}:{row.lineno}", tokens=row.tokens, label=row.label,
                               aspect=aspect, source=f"{path.name}:{row.lineno}")
                       for row in iter_rows(path, with_rationale=False)], max_len)


def read_annotated(path: Path, aspect: int, max_len: int | None = None) -> list[Example]:
    """The annotated reviews of one aspect, every one kept (as the official loaders do)."""
    where = f"{path.parent.name}/{path.name}"
    return _truncated([Example(id=f"{where}:{row.lineno}", tokens=row.tokens, label=row.label, aspect=aspect,
                               source=f"{where}:{row.lineno}", spans=mask_to_spans(row.rationale))
                       for row in iter_rows(path, with_rationale=True)], max_len)


def locate_files(data_dir, aspect: int) -> tuple[Path, Path, Path]:
    """Train, dev and annotation paths in either supported folder layout."""
    root = Path(data_dir)
    train, dev = hotel_file(aspect, "train"), hotel_file(aspect, "dev")
    for base in (root, root / "data"):
        if (base / "oracle" / train).is_file():  # the unpacked R2A archive
            return (require_file(base / "oracle", train, "hotel", HOTEL_HINT),
                    require_file(base / "oracle", dev, "hotel", HOTEL_HINT),
                    require_file(base / "target", train, "hotel", HOTEL_HINT))
    return (require_file(root, train, "hotel", HOTEL_HINT),
            require_file(root, dev, "hotel", HOTEL_HINT),
            require_file(root / ANNOTATION_FOLDER, train, "hotel", HOTEL_HINT))


def _text_key(ex: Example) -> str:
    return " ".join(ex.tokens).lower()


def drop_overlap(examples: list[Example], annotated: list[Example]) -> list[Example]:
    """Examples whose text is not one of the annotated texts.

    The annotated reviews are reported to appear in the distributed training
    file as well; the published numbers keep them, so this is opt-in.
    """
    seen = {_text_key(ex) for ex in annotated}
    return [ex for ex in examples if _text_key(ex) not in seen]


@register_dataset("hotel")
def build_hotel(config: DataConfig) -> Splits:
    """Hotel splits for one aspect (0 Location, 1 Service, 2 Cleanliness).

    Train is balanced with ``config.balance_seed``; dev too when
    ``config.balance_dev``. Option ``drop_test_overlap`` (default False)
    removes train/dev reviews whose text equals an annotated review's.
    """
    if not config.data_dir:
        raise ValueError("hotel: give --data-dir, the folder holding the R2A hotel files. " + HOTEL_HINT)
    if config.correlated:
        raise ValueError("hotel: there is no correlated variant; leave 'correlated' False")
    unknown = set(config.options) - {"drop_test_overlap"}
    if unknown:
        raise ValueError(f"hotel: unknown option(s) {sorted(unknown)}; known: drop_test_overlap")
    train_path, dev_path, test_path = locate_files(config.data_dir, config.aspect)
    # Overlap is judged on the full texts, so everything is truncated afterwards.
    test = read_annotated(test_path, config.aspect)
    train = read_labelled(train_path, config.aspect)
    dev = read_labelled(dev_path, config.aspect)
    if config.options.get("drop_test_overlap", False):
        train, dev = drop_overlap(train, test), drop_overlap(dev, test)
    train = balance(_truncated(train, config.max_len), config.balance_seed)
    dev = _truncated(dev, config.max_len)
    if config.balance_dev:
        dev = balance(dev, config.balance_seed)
    return Splits(train=train, dev=dev, test=_truncated(test, config.max_len))
