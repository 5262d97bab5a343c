"""benchmarks/andi_challenge.py runs end to end on a few trajectories (the AnDi 2020 task-2 generator)."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "andi_challenge.py"


@pytest.mark.slow
def test_andi_challenge_benchmark_prints_family_accuracy(tmp_path, untrained_model_dir, capsys):
    pytest.importorskip("IPython", reason="pip install -e '.[test]' brings IPython for the challenge generator")
    spec = importlib.util.spec_from_file_location("andi_challenge", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--n", "40", "--model", str(untrained_model_dir), "--device", "cpu",
                        "--csv", str(tmp_path / "rows.csv")]) == 0
    out = capsys.readouterr().out
    assert "AnDi 2020 task 2, 2-D: 40 trajectories" in out and "macro_f1" in out
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert len(rows) == 40 and set(rows["true_family"]) <= set(range(5))
    assert set(rows["noise"]) <= {0.1, 0.5, 1.0}
    assert rows["prob_family_fbm"].between(0, 1).all()
