"""ERASER-format readers, and HateXplain (binary toxic / non-toxic).

**ERASER layout** (DeYoung et al. 2020), one folder per dataset:

* documents: either ``docs.jsonl`` (one ``{"docid", "document"}`` object per
  line) or a ``docs/`` folder with one file per docid. A document is
  sentences separated by newlines, tokens separated by spaces; token indices
  count over the whole document. A document with empty tokens (two spaces in
  a row) is refused, since its indices would be ambiguous.
* ``train.jsonl``, ``val.jsonl``, ``test.jsonl``: one annotation per line with
  ``annotation_id``, ``classification`` (a class name), ``evidences`` (a list
  of evidence groups, each a list of ``{docid, start_token, end_token
  (exclusive), text, ...}``), ``query``, ``query_type`` and ``docids``.

Only single-document classification fits a rationalizer (the query is not
shown to the model). An example's gold rationale is the union of all its
evidence spans; an annotation with no evidence span is *not annotated*
(``spans=None``), not "annotated as empty".

**HateXplain** (Mathew et al. 2021), registered as ``"hatexplain"``: label 1 =
toxic (hatespeech or offensive), 0 = non-toxic (normal); aspect 0. Two input
formats, chosen by option ``format`` (default ``"auto"``: ``docs.jsonl`` ->
ERASER, else ``dataset.json`` -> official):

* ``"eraser"``: the HateXplain authors' ERASER conversion (classes ``toxic``
  / ``non-toxic``; toxic posts carry the union of the annotators' rationales).
* ``"official"``: HateXplain's ``Data/dataset.json`` plus
  ``post_id_divisions.json``. The label is the one given by more than half
  of the (three) annotators over hatespeech/offensive/normal; a post where
  all three differ has none and is dropped (as HateXplain does), then
  hatespeech/offensive -> toxic. The gold rationale of a toxic post is the
  union of its annotators' 0/1 vectors (option ``rationale="majority"``:
  tokens marked by more than half of the vectors). Vectors of -1 (no
  selection) are ignored.

**What is annotated.** Only toxic posts have gold rationales, and HateXplain
and ERASER score rationales on toxic posts only, while accuracy is measured
on all test posts. So by default the test split holds *every* test post:
toxic posts with their spans, non-toxic posts with ``spans=None``. Rationale
metrics must therefore be computed over ``ex.annotated`` examples only and
accuracy over all. Option ``test_posts="toxic"`` keeps only the annotated
toxic posts instead (accuracy on it is then one-class). Train and val keep
their spans too (models do not read them). Train is balanced with
``balance_seed`` unless option ``balance_train`` is False; val when
``balance_dev``.

Default folder: ``DataConfig.data_dir``, else the workplace's shared
``hatexplain`` folder (:func:`ratlib.paths.shared_data_dir`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Mapping

from .. import paths
from .beer import require_file
from .record import DataFormatError, Example, Splits, mask_to_spans, parse_json_object, spans_to_mask
from .registry import DataConfig, balance, register_dataset

SPLIT_FILES = {"train": "train.jsonl", "dev": "val.jsonl", "test": "test.jsonl"}
HATEXPLAIN_CLASSES = {"non-toxic": 0, "toxic": 1}
TOXIC_LABELS = ("hatespeech", "offensive")
HATEXPLAIN_LABELS = TOXIC_LABELS + ("normal",)
OFFICIAL_FILES = ("dataset.json", "post_id_divisions.json")
OFFICIAL_SPLITS = {"train": "train", "dev": "val", "test": "test"}

HATEXPLAIN_HINT = ("Use the ERASER-format files (docs.jsonl, train.jsonl, val.jsonl, test.jsonl) or "
                   "HateXplain's official Data/dataset.json with Data/post_id_divisions.json "
                   "(github.com/hate-alert/HateXplain; online: ratlib.data.sources.fetch('hatexplain-dataset') "
                   "and fetch('hatexplain-divisions')).")


# ------------------------------------------------------------ documents

def _doc_tokens(text: str, where: Path, line: int | None, docid: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for sentence in text.split("\n"):
        sentence = sentence.strip()
        if not sentence:
            continue
        words = sentence.split(" ")
        if "" in words:
            raise DataFormatError(where, line, f"document {docid!r} has two spaces in a row; "
                                               "token indices would be ambiguous")
        tokens.extend(words)
    return tuple(tokens)


def read_documents(data_dir, docids: set[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Tokens of every document (or of ``docids``) in an ERASER folder."""
    root = Path(data_dir)
    jsonl, folder = root / "docs.jsonl", root / "docs"
    if jsonl.is_file() and folder.is_dir():
        raise DataFormatError(root, None, "holds both docs.jsonl and docs/; keep one")
    if folder.is_dir():
        names = sorted(docids) if docids is not None else sorted(p.name for p in folder.iterdir())
        docs = {}
        for name in names:
            path = folder / name
            if not path.is_file():
                raise DataFormatError(folder, None, f"no document file for docid {name!r}")
            docs[name] = _doc_tokens(path.read_text(encoding="utf-8"), path, None, name)
        return docs
    if not jsonl.is_file():
        raise FileNotFoundError(f"no docs.jsonl and no docs/ folder in {root.resolve()}")
    docs = {}
    for lineno, obj in _iter_jsonl(jsonl):
        for key in ("docid", "document"):
            if key not in obj:
                raise DataFormatError(jsonl, lineno, f"missing key {key!r}")
        if not isinstance(obj["document"], str):
            raise DataFormatError(jsonl, lineno, "field 'document' must be a string")
        docid = str(obj["docid"])
        if docids is None or docid in docids:
            docs[docid] = _doc_tokens(obj["document"], jsonl, lineno, docid)
    return docs


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            yield lineno, parse_json_object(line, path, lineno)


# ------------------------------------------------------------ annotations

def _document_id(obj: dict, path: Path, lineno: int) -> str:
    docids = obj.get("docids")
    if docids is None:
        return str(obj["annotation_id"])
    if not isinstance(docids, list) or len(docids) != 1:
        raise DataFormatError(path, lineno, f"expected one docid (single-document task), found {docids!r}")
    return str(docids[0])


def _evidence_spans(obj: dict, tokens: tuple[str, ...], docid: str, path: Path, lineno: int,
                    check_text: bool) -> list[tuple[int, int]]:
    groups = obj["evidences"]
    if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
        raise DataFormatError(path, lineno, "field 'evidences' must be a list of evidence groups (lists)")
    spans = []
    for group in groups:
        for ev in group:
            if not isinstance(ev, dict) or "start_token" not in ev or "end_token" not in ev:
                raise DataFormatError(path, lineno, f"evidence {ev!r} lacks start_token/end_token")
            start, end = ev["start_token"], ev["end_token"]
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(tokens)):
                raise DataFormatError(
                    path, lineno,
                    f"evidence [{start!r}, {end!r}) out of range for document {docid!r} of {len(tokens)} tokens")
            if str(ev.get("docid", docid)) != docid:
                raise DataFormatError(path, lineno, f"evidence points at document {ev['docid']!r}, not {docid!r}")
            text = ev.get("text")
            if check_text and isinstance(text, str) and text.split() != list(tokens[start:end]):
                raise DataFormatError(
                    path, lineno,
                    f"evidence text {text!r} differs from document tokens [{start}, {end}): "
                    f"{' '.join(tokens[start:end])!r}")
            spans.append((start, end))
    return spans


def read_annotation_file(path: Path, documents: Mapping[str, tuple[str, ...]], classes: Mapping[str, int],
                         aspect: int = 0, check_text: bool = True) -> list[Example]:
    """Examples of one ERASER split file; ``classes`` maps class names to labels."""
    out = []
    for lineno, obj in _iter_jsonl(path):
        for key in ("annotation_id", "classification", "evidences"):
            if key not in obj:
                raise DataFormatError(path, lineno, f"missing key {key!r}")
        if obj["classification"] not in classes:
            raise DataFormatError(path, lineno, f"classification {obj['classification']!r} is not one of "
                                                f"{sorted(classes)}")
        docid = _document_id(obj, path, lineno)
        if docid not in documents:
            raise DataFormatError(path, lineno, f"document {docid!r} is not in the documents")
        tokens = documents[docid]
        if not tokens:
            raise DataFormatError(path, lineno, f"document {docid!r} is empty")
        spans = _evidence_spans(obj, tokens, docid, path, lineno, check_text)
        gold = mask_to_spans(spans_to_mask(spans, len(tokens))) if spans else None
        out.append(Example(id=str(obj["annotation_id"]), tokens=tokens, label=classes[obj["classification"]],
                           aspect=aspect, source=f"{path.name}:{lineno}", spans=gold))
    return out


def read_eraser_splits(data_dir, classes: Mapping[str, int], dataset: str, hint: str,
                       aspect: int = 0, check_text: bool = True) -> dict[str, list[Example]]:
    """Train/dev/test examples (untruncated, unbalanced) of an ERASER folder."""
    files = {split: require_file(data_dir, name, dataset, hint) for split, name in SPLIT_FILES.items()}
    root = Path(data_dir)
    if not (root / "docs.jsonl").is_file() and not (root / "docs").is_dir():
        require_file(data_dir, "docs.jsonl", dataset, hint)
    documents = read_documents(data_dir)
    return {split: read_annotation_file(path, documents, classes, aspect, check_text)
            for split, path in files.items()}


# ------------------------------------------------------------ HateXplain official format

def majority_label(labels: list[str]) -> str | None:
    """The label most annotators gave, or ``None`` when no label has a majority."""
    counts = {label: labels.count(label) for label in labels}
    best = max(counts.values(), default=0)
    winners = [label for label, n in counts.items() if n == best]
    if best * 2 <= len(labels) or len(winners) != 1:
        return None
    return winners[0]


def _post_rationale(post: dict, n_tokens: int, rule: str, path: Path, post_id: str) -> tuple | None:
    vectors = post.get("rationales", [])
    if not isinstance(vectors, list):
        raise DataFormatError(path, None, f"post {post_id!r}: 'rationales' must be a list of 0/1 lists")
    given = []
    for vector in vectors:
        if not isinstance(vector, list) or not all(v in (0, 1, -1) for v in vector):
            raise DataFormatError(path, None, f"post {post_id!r}: a rationale must be a list of 0/1 values")
        if vector and all(v == -1 for v in vector):
            continue  # this annotator made no selection
        if len(vector) != n_tokens:
            raise DataFormatError(path, None, f"post {post_id!r}: a rationale has {len(vector)} values "
                                              f"for {n_tokens} tokens")
        given.append(vector)
    if not given:
        return None
    need = 1 if rule == "union" else len(given) // 2 + 1
    mask = [int(sum(v[i] == 1 for v in given) >= need) for i in range(n_tokens)]
    return mask_to_spans(mask) or None


def read_hatexplain_official(data_dir, rationale: str = "union") -> dict[str, list[Example]]:
    """Train/dev/test from ``dataset.json`` and ``post_id_divisions.json``."""
    if rationale not in ("union", "majority"):
        raise ValueError(f"hatexplain: option rationale must be 'union' or 'majority', got {rationale!r}")
    data_path, div_path = (require_file(data_dir, name, "hatexplain", HATEXPLAIN_HINT) for name in OFFICIAL_FILES)
    posts = _load_json(data_path)
    divisions = _load_json(div_path)
    if not isinstance(posts, dict):
        raise DataFormatError(data_path, None, "expected one JSON object mapping post ids to posts")
    out = {}
    for split, key in OFFICIAL_SPLITS.items():
        if not isinstance(divisions, dict) or not isinstance(divisions.get(key), list):
            raise DataFormatError(div_path, None, f"expected a list of post ids under key {key!r}")
        examples = []
        for post_id in divisions[key]:
            if post_id not in posts:
                raise DataFormatError(data_path, None, f"post {post_id!r} (listed in {div_path.name}) is missing")
            ex = _official_example(posts[post_id], str(post_id), rationale, data_path)
            if ex is not None:
                examples.append(ex)
        out[split] = examples
    return out


def _load_json(path: Path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as err:
        raise DataFormatError(path, err.lineno, f"not valid JSON ({err.msg})") from None


def _official_example(post: dict, post_id: str, rule: str, path: Path) -> Example | None:
    for key in ("annotators", "post_tokens"):
        if key not in post:
            raise DataFormatError(path, None, f"post {post_id!r}: missing key {key!r}")
    tokens = post["post_tokens"]
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        raise DataFormatError(path, None, f"post {post_id!r}: 'post_tokens' must be a non-empty list of strings")
    try:
        labels = [str(a["label"]).lower() for a in post["annotators"]]
    except (TypeError, KeyError):
        raise DataFormatError(path, None, f"post {post_id!r}: every annotator needs a 'label'") from None
    unknown = sorted(set(labels) - set(HATEXPLAIN_LABELS))
    if unknown:
        raise DataFormatError(path, None, f"post {post_id!r}: unknown label(s) {unknown}; "
                                          f"expected {list(HATEXPLAIN_LABELS)}")
    label = majority_label(labels)
    if label is None:
        return None
    toxic = int(label in TOXIC_LABELS)
    spans = _post_rationale(post, len(tokens), rule, path, post_id) if toxic else None
    return Example(id=post_id, tokens=tuple(tokens), label=toxic, aspect=0,
                   source=f"{path.name}:{post_id}", spans=spans)


# ------------------------------------------------------------ builder

HATEXPLAIN_OPTIONS = {"format": "auto", "rationale": "union", "test_posts": "all", "balance_train": True}


def hatexplain_dir(config: DataConfig) -> Path:
    if config.data_dir:
        return Path(config.data_dir)
    shared = paths.shared_data_dir("hatexplain")
    if shared is None:
        raise FileNotFoundError("hatexplain: no data folder. Give --data-dir, the folder holding the files. "
                                + HATEXPLAIN_HINT)
    return shared


@register_dataset("hatexplain")
def build_hatexplain(config: DataConfig) -> Splits:
    unknown = set(config.options) - set(HATEXPLAIN_OPTIONS)
    if unknown:
        raise ValueError(f"hatexplain: unknown option(s) {sorted(unknown)}; known: {sorted(HATEXPLAIN_OPTIONS)}")
    opts = {**HATEXPLAIN_OPTIONS, **config.options}
    if config.aspect != 0:
        raise ValueError(f"hatexplain: there is one label (toxic), so aspect must be 0, got {config.aspect}")
    if config.correlated:
        raise ValueError("hatexplain: there is no correlated variant; leave 'correlated' False")
    if opts["test_posts"] not in ("all", "toxic"):
        raise ValueError(f"hatexplain: option test_posts must be 'all' or 'toxic', got {opts['test_posts']!r}")
    root = hatexplain_dir(config)
    fmt = opts["format"]
    if fmt == "auto":
        fmt = "official" if (root / "dataset.json").is_file() and not (root / "docs.jsonl").is_file() else "eraser"
    if fmt == "eraser":
        splits = read_eraser_splits(root, HATEXPLAIN_CLASSES, "hatexplain", HATEXPLAIN_HINT)
    elif fmt == "official":
        splits = read_hatexplain_official(root, opts["rationale"])
    else:
        raise ValueError(f"hatexplain: option format must be 'auto', 'eraser' or 'official', got {fmt!r}")
    train, dev, test = ([ex.truncate(config.max_len) for ex in splits[s]] for s in ("train", "dev", "test"))
    if opts["balance_train"]:
        train = balance(train, config.balance_seed)
    if config.balance_dev:
        dev = balance(dev, config.balance_seed)
    if opts["test_posts"] == "toxic":
        test = [ex for ex in test if ex.annotated]
    return Splits(train=train, dev=dev, test=test)
