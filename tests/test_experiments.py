"""Chapter experiments: tabulating stored runs and the verdicts drawn from them."""
import pandas as pd
import pytest

from ratlib.experiments import degeneration as dg
from ratlib.experiments.runs import random_selection_f1


def test_random_selection_f1_known_values():
    # gold 20% of tokens, select 20% at random: precision 20, recall 20 -> F1 20
    assert random_selection_f1(20.0, 20.0) == pytest.approx(20.0)
    # gold 10%, select everything: P 10, R 100 -> F1 = 2*10*100/110
    assert random_selection_f1(10.0, 100.0) == pytest.approx(2000 / 110)
    assert random_selection_f1(None, 20.0) is None
    assert random_selection_f1(0.0, 0.0) is None


def frame(plm_f1, plm_dev_acc, gru_f1=70.0):
    rows = []
    for encoder, f1, acc in (("gru", gru_f1, 80.0), ("minilm", plm_f1, plm_dev_acc)):
        rows.append({"setting": "decorrelated", "method": "rnp", "encoder": encoder, "F1": f1, "dev_acc": acc,
                     "failure_rate": 5.0, "random_F1": 15.0, "dev_chance_acc": 50.0})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("plm_f1, plm_dev_acc, label", [
    (10.0, 75.0, "Reproduced"),
    (60.0, 75.0, "Partly reproduced"),
    (69.0, 75.0, "Not reproduced"),
    (10.0, 52.0, "Not tested"),   # a transformer at chance accuracy on dev has not learned the task
])
def test_degeneration_verdict(plm_f1, plm_dev_acc, label):
    text = dg.verdict(frame(plm_f1, plm_dev_acc))
    assert text.startswith(f"**{label}")
    assert "decorrelated: mean F1 70.0 (GRU)" in text
