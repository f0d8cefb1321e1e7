"""The download registry, without network: file:// URLs and a replaced opener."""
import hashlib
import io
import tarfile
import urllib.error
import zipfile

import pytest

from ratlib.data import sources
from ratlib.data.sources import ChecksumMismatch, Source, SourceUnavailable, fetch, unpack

PAYLOAD = b"task\tlabel\ttext\nhotel_Location\t1\tnear the sea\n"
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def local_source(tmp_path, monkeypatch):
    """Register a source whose URL is a local file; return a function to vary its checksum."""
    origin = tmp_path / "origin.tsv"
    origin.write_bytes(PAYLOAD)

    def register(sha256=PAYLOAD_SHA, url=origin.as_uri()):
        monkeypatch.setitem(sources.SOURCES, "tiny", Source("tiny", "sub/tiny.tsv", url, sha256, "test data"))
        return "tiny"

    return register


def test_fetch_from_a_file_url_verifies_and_caches(tmp_path, local_source, monkeypatch):
    name = local_source()
    path = fetch(name, cache_dir=tmp_path / "cache")
    assert path == tmp_path / "cache" / "sub" / "tiny.tsv" and path.read_bytes() == PAYLOAD

    def no_network(url):
        raise AssertionError("a cached file must not be downloaded again")

    monkeypatch.setattr(sources, "_urlopen", no_network)
    assert fetch(name, cache_dir=tmp_path / "cache") == path


def test_default_folder_is_the_ratlib_cache(tmp_path, local_source, monkeypatch):
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "ratlib-cache"))
    path = fetch(local_source())
    assert path == tmp_path / "ratlib-cache" / "downloads" / "sub" / "tiny.tsv"


def test_unknown_checksum_is_printed_for_pinning(tmp_path, local_source, capsys):
    fetch(local_source(sha256=None), cache_dir=tmp_path)
    assert PAYLOAD_SHA in capsys.readouterr().out


def test_checksum_mismatch_keeps_nothing(tmp_path, local_source):
    name = local_source(sha256="0" * 64)
    with pytest.raises(ChecksumMismatch, match=PAYLOAD_SHA):
        fetch(name, cache_dir=tmp_path / "cache")
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_stale_cached_file_is_replaced(tmp_path, local_source):
    name = local_source()
    stale = tmp_path / "sub" / "tiny.tsv"
    stale.parent.mkdir()
    stale.write_bytes(b"truncated")
    assert fetch(name, cache_dir=tmp_path).read_bytes() == PAYLOAD


def test_offline_error_names_the_file_and_where_to_put_it(tmp_path, local_source, monkeypatch):
    def offline(url):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(sources, "_urlopen", offline)
    name = local_source(url="https://example.org/tiny.tsv")
    with pytest.raises(SourceUnavailable) as err:
        fetch(name, cache_dir=tmp_path)
    message = str(err.value)
    assert "https://example.org/tiny.tsv" in message and str(tmp_path / "sub" / "tiny.tsv") in message
    assert "offline" in message and not (tmp_path / "sub" / "tiny.tsv").exists()


def test_replaced_opener_streams_into_place(tmp_path, local_source, monkeypatch):
    seen = []

    def opener(url):
        seen.append(url)
        return io.BytesIO(PAYLOAD)

    monkeypatch.setattr(sources, "_urlopen", opener)
    name = local_source(url="https://example.org/tiny.tsv")
    assert fetch(name, cache_dir=tmp_path).read_bytes() == PAYLOAD
    assert seen == ["https://example.org/tiny.tsv"]


def test_beer_is_never_downloaded(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "_urlopen", lambda url: pytest.fail("beer must not be fetched"))
    with pytest.raises(SourceUnavailable, match="withdrawn"):
        fetch("beer", cache_dir=tmp_path)
    with pytest.raises(SourceUnavailable, match="unknown source"):
        fetch("imdb", cache_dir=tmp_path)


def test_registry_entries_are_complete():
    for source in sources.SOURCES.values():
        assert source.licence and source.note
        assert source.url is None or source.url.startswith(("https://", "http://"))
        assert source.sha256 is None or len(source.sha256) == 64
    assert sources.SOURCES["beer"].url is None
    assert {row["name"] for row in sources.source_table()} >= {"r2a-data", "hatexplain-dataset", "beer"}


def test_unpack_zip_and_tar(tmp_path):
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/oracle/hotel_Location.dev", PAYLOAD)
    dest = unpack(archive)
    assert dest == tmp_path / "data"
    assert (dest / "data" / "oracle" / "hotel_Location.dev").read_bytes() == PAYLOAD
    tar_path = tmp_path / "movies.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        info = tarfile.TarInfo("movies/train.jsonl")
        info.size = len(PAYLOAD)
        tf.addfile(info, io.BytesIO(PAYLOAD))
    assert (unpack(tar_path, tmp_path / "m") / "movies" / "train.jsonl").read_bytes() == PAYLOAD


def test_unpack_refuses_members_outside_the_folder(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escaped.txt", b"x")
    with pytest.raises(ValueError, match="refusing"):
        unpack(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "escaped.txt").exists()
    plain = tmp_path / "plain.txt"
    plain.write_text("not an archive")
    with pytest.raises(ValueError, match="neither a zip nor a tar"):
        unpack(plain)
