"""Opening and classifying files in the app: the jobs the main window queues. Qt-free.

The loop itself is the core's (:mod:`resandi_core.batch`), the same that
``resandi classify`` runs, so the app and the command line agree.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from resandi_core.batch import FileOutcome, FileRequest
from resandi_core.progress import Progress


def classify_job(
    requests: Sequence[FileRequest], model_name: str | None, device: str = "auto"
) -> Generator[Progress, None, tuple[Any, list[FileOutcome]]]:
    """Load the model, then link the movies that need it and classify every file.

    Parameters
    ----------
    requests : sequence of FileRequest
    model_name : str or None
        Name or folder of the model; None or "" for the bundled default.
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``mps``.

    Grad-CAM is stored signed, as ``resandi classify`` writes it by default; the
    views clip it for display only, so an export never mixes the two.

    Returns
    -------
    (LoadedModel, list of FileOutcome)
        The model (kept with each file) and one outcome per request, in order.
    """
    from resandi_core.batch import iter_classify_files
    from resandi_core.model.registry import load_model

    yield Progress(0, 0, "load model")
    model = load_model(model_name or None)
    outcomes = yield from iter_classify_files(requests, model, device=device)
    return model, outcomes
