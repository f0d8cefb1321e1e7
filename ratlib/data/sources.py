"""Known source files of the real datasets, and a checked downloader.

For online users (e.g. Colab). Nothing in ratlib downloads at import or in
tests; :func:`fetch` is called explicitly. A file is saved under
``ratlib.paths.cache_dir("downloads")`` (or ``cache_dir``), written
atomically, and checked against its sha256 when one is recorded. When none
is recorded the computed one is printed so a user can pin it. Offline, a
missing file raises :class:`SourceUnavailable` naming the file and the place
to copy it to.

BeerAdvocate is listed so that asking for it explains why it is never
downloaded: BeerAdvocate asked for the data to be withdrawn.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .. import paths
from ..io import atomic_path


@dataclass(frozen=True)
class Source:
    """One downloadable file. ``url`` is None for data that must not be fetched."""

    name: str
    filename: str
    url: str | None
    sha256: str | None
    licence: str
    note: str = ""


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source(
        name="r2a-data",
        filename="r2a/data.zip",
        url="https://people.csail.mit.edu/yujia/files/r2a/data.zip",
        sha256=None,
        licence="Released by Bao et al. (2018) for research with the R2A code; HotelReview texts come from "
                "TripAdvisor reviews collected by Wang et al. (2010); no explicit licence. Do not redistribute.",
        note="HotelReview in the R2A preprocessing: data/oracle/hotel_<Aspect>.{train,dev} and "
             "data/target/hotel_<Aspect>.train (annotated). unpack(fetch('r2a-data')) gives a folder that "
             "dataset 'hotel' reads as its data_dir."),
    Source(
        name="hatexplain-dataset",
        filename="hatexplain/dataset.json",
        url="https://raw.githubusercontent.com/hate-alert/HateXplain/master/Data/dataset.json",
        sha256=None,
        licence="MIT (hate-alert/HateXplain repository); the dataset card states CC-BY-4.0. "
                "Content warning: slurs and abusive language.",
        note="Official format: per-annotator labels and 0/1 rationales. Fetch 'hatexplain-divisions' too; "
             "the folder of fetch('hatexplain-dataset') is then a data_dir for dataset 'hatexplain'."),
    Source(
        name="hatexplain-divisions",
        filename="hatexplain/post_id_divisions.json",
        url="https://raw.githubusercontent.com/hate-alert/HateXplain/master/Data/post_id_divisions.json",
        sha256=None,
        licence="MIT (hate-alert/HateXplain repository).",
        note="The official train/val/test post ids (8:1:1), saved beside dataset.json."),
    Source(
        name="eraser-movies",
        filename="eraser/movies.tar.gz",
        url="http://www.eraserbenchmark.com/zipped/movies.tar.gz",
        sha256=None,
        licence="ERASER benchmark (DeYoung et al. 2020); movie reviews of Pang & Lee with rationales of "
                "Zaidan et al. (2007); research use.",
        note="ERASER layout with a docs/ folder: unpack(fetch('eraser-movies')) / 'movies' is readable "
             "with ratlib.data.eraser.read_eraser_splits (classes NEG/POS)."),
    Source(
        name="beer",
        filename="beer",
        url=None,
        sha256=None,
        licence="Not redistributable.",
        note="BeerAdvocate asked for Lei et al.'s (2016) data to be withdrawn from public distribution, so "
             "ratlib never downloads it. If you already hold the original files, copy them, under their "
             "original names, into one folder and pass it as --data-dir."),
)}


class SourceUnavailable(RuntimeError):
    """A source file cannot be had here (offline, withdrawn, or unknown)."""


class ChecksumMismatch(ValueError):
    """A downloaded file's sha256 differs from the recorded one."""


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _urlopen(url: str):
    """The opener used by :func:`fetch`; tests replace it."""
    return urllib.request.urlopen(url, timeout=60)


def target_path(name: str, cache_dir=None) -> Path:
    """Where :func:`fetch` keeps a source file."""
    source = _source(name)
    folder = Path(cache_dir) if cache_dir is not None else paths.cache_dir("downloads")
    return folder / source.filename


def _source(name: str) -> Source:
    if name not in SOURCES:
        raise SourceUnavailable(f"unknown source {name!r}; known: {', '.join(sorted(SOURCES))}")
    return SOURCES[name]


def fetch(name: str, cache_dir=None) -> Path:
    """The local path of source ``name``, downloading it once if needed."""
    source = _source(name)
    if source.url is None:
        raise SourceUnavailable(f"{name}: never downloaded. {source.note}")
    target = target_path(name, cache_dir)
    if target.is_file():
        if source.sha256 is None or sha256_of(target) == source.sha256:
            return target
        print(f"{target} does not match the recorded sha256; downloading it again")
    _download(source, target)
    return target


def _download(source: Source, target: Path) -> None:
    try:
        response = _urlopen(source.url)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise SourceUnavailable(
            f"{source.name}: could not download {source.url} ({reason}). This machine may be offline: "
            f"download the file elsewhere and copy it to {target}") from None
    digest = hashlib.sha256()
    with response, atomic_path(target) as tmp, open(tmp, "wb") as out:
        total = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
        with tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                  desc=source.filename, leave=False) as bar:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
                digest.update(block)
                bar.update(len(block))
        out.flush()
        computed = digest.hexdigest()
        if source.sha256 is not None and computed != source.sha256:
            raise ChecksumMismatch(f"{source.name}: {source.url} has sha256 {computed}, expected "
                                   f"{source.sha256}; the file was not kept")
    if source.sha256 is None:
        print(f"{source.name}: sha256 {computed} (no checksum recorded; pin this one in "
              f"ratlib/data/sources.py)")


def _member_names(archive: Path) -> list[str]:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            return zf.namelist()
    with tarfile.open(archive) as tf:
        return tf.getnames()


def unpack(archive, dest=None) -> Path:
    """Unpack a zip or tar archive into ``dest`` once (default: beside it, without the suffix).

    Members with absolute paths or ``..`` are refused. The folder appears
    only when every member was extracted.
    """
    archive = Path(archive)
    if dest is None:
        stem = archive.name.split(".")[0]
        dest = archive.parent / stem
    dest = Path(dest)
    if dest.is_dir():
        return dest
    if not (zipfile.is_zipfile(archive) or tarfile.is_tarfile(archive)):
        raise ValueError(f"{archive} is neither a zip nor a tar archive")
    for member in _member_names(archive):
        parts = Path(member).parts
        if Path(member).is_absolute() or ".." in parts:
            raise ValueError(f"{archive}: refusing to unpack member {member!r} outside the target folder")
    staging = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(staging)
        else:
            # The "data" filter (Python >= 3.11.4 / 3.10.12) also refuses unsafe links.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            with tarfile.open(archive) as tf:
                tf.extractall(staging, **safe)
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def source_table() -> list[dict]:
    """One row per source (for the book's data page)."""
    return [{"name": s.name, "file": s.filename, "url": s.url or "(never downloaded)",
             "sha256": s.sha256 or "(not recorded)", "licence": s.licence, "note": s.note}
            for s in SOURCES.values()]
