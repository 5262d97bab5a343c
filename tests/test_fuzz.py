"""Our own fuzz corpus in CI: broken files of every format never crash the caller, hang, or raise an
internal error, and every good file is still read and classified (benchmarks/fuzz.py runs a larger one)."""

import collections
import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz.py"


def fuzz_module():
    spec = importlib.util.spec_from_file_location("fuzz", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_seeded_corpus_of_broken_files_is_read_or_refused_clearly(tmp_path, monkeypatch, untrained_model):
    from resandi_core.batch import FileRequest, iter_classify_files, iter_read_files
    from resandi_core.progress import run_job

    monkeypatch.setenv("RESANDI_READ_TIMEOUT_S", "60")  # a hang fails the test in a minute, not ten
    fuzz = fuzz_module()
    good, broken = fuzz.make_corpus(tmp_path, seed=1, per_source=2)
    assert len(broken) > 150 and {p.suffix for p in broken} >= {".csv", ".xml", ".txt", ".npy", ".npz", ".xlsx",
                                                                  ".h5", ".tif"}
    outcomes = run_job(iter_read_files(good + broken))
    kinds = collections.Counter(fuzz.classify_outcome(o) for o in outcomes[len(good):])
    internal = [o.failure for o in outcomes[len(good):] if fuzz.classify_outcome(o) == "internal"]
    assert internal == [] and kinds["timeout"] == 0, kinds
    assert all(o.failure is None for o in outcomes[: len(good)])
    for outcome in outcomes[len(good):]:
        if outcome.failure:  # one line naming the file
            assert str(outcome.path) in outcome.failure and "Traceback" not in outcome.failure

    # A batch of good and broken track files: the good ones' results are all there.
    track_files = [p for p in good if p.suffix != ".tif"]
    some_broken = [p for p in broken if p.suffix != ".tif"][::10]
    requests = [FileRequest(p) for p in [*some_broken[:8], *track_files]]
    results = run_job(iter_classify_files(requests, untrained_model, device="cpu"))
    by_path = {o.path: o for o in results}
    for path in track_files:
        assert by_path[path].failure is None and len(by_path[path].result.tracks) > 0, by_path[path].failure
    for outcome in results:
        if outcome.result is not None:  # nothing classified from numbers that are not real positions
            ok = outcome.result.tracks[outcome.result.tracks["status"] == "ok"]
            assert np.isfinite(ok["confidence"]).all()
    assert all(o.expected for o in results if o.failure)
