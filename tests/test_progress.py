"""Progress output: live bars on a terminal, a few plain lines in a log."""
import io

from ratlib.progress import LineProgress, progress


def test_log_output_is_one_line_per_tenth_and_one_at_the_end():
    out = io.StringIO()
    bar = LineProgress(range(25), "epoch 1/3", stream=out)
    seen = []
    for i in bar:
        seen.append(i)
        bar.set_postfix(loss="0.5")
    lines = out.getvalue().splitlines()
    assert seen == list(range(25))
    assert len(lines) == 10 and "\r" not in out.getvalue()   # 10%..90% and the end
    assert lines[0].startswith("epoch 1/3: 12% (3/25") and lines[-1].startswith("epoch 1/3: 100% (25/25")
    assert lines[-1].endswith("loss=0.5")


def test_short_work_and_unknown_totals_still_end_with_a_line():
    out = io.StringIO()
    list(LineProgress(iter([1, 2]), "runs", stream=out))
    assert out.getvalue().splitlines() == [out.getvalue().splitlines()[0]] and "(2," in out.getvalue()
    out = io.StringIO()
    list(LineProgress([1, 2], "runs", step=0.5, stream=out))
    assert [l.split(":")[1].split("(")[0].strip() for l in out.getvalue().splitlines()] == ["50%", "100%"]


def test_disabled_progress_is_silent(capsys):
    bar = progress([1, 2, 3], "x", enabled=False)
    bar.set_postfix(a=1)
    assert list(bar) == [1, 2, 3]
    assert capsys.readouterr().err == ""


def test_a_live_bar_leaves_torch_random_stream_alone(monkeypatch):
    """A bar must not change a run: tqdm.auto opened an extra DataLoader iterator, which draws a seed."""
    import torch
    from torch.utils.data import DataLoader

    import ratlib.progress as progress_mod

    monkeypatch.setattr(progress_mod, "is_terminal", lambda stream=None: True)
    loader = DataLoader(list(range(10)), batch_size=2)
    torch.manual_seed(0)
    list(loader)
    plain = torch.rand(1)
    torch.manual_seed(0)
    list(progress_mod.progress(loader, "bar", leave=False))
    assert torch.equal(torch.rand(1), plain)
