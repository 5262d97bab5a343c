"""Training: synthetic data, the training loop, evaluation, the paper's experiments.

Owns the whole recipe of REFERENCE.md: the seeded, resumable data set
(:mod:`.synth`), the Grad-CAM-targeted augmentation (:mod:`.augment`), the
resumable training loop with checkpoints (:mod:`.loop`), time estimates
(:mod:`.estimate`), evaluation on held-out sets (:mod:`.evaluate`), confidence
calibration and the ``uncertain`` rule (:mod:`.calibrate`), the model
card (:mod:`.card`) and the erasure and noise experiments (:mod:`.experiments`).

Layers inside the package (each may import only those below it; a test checks it):
``experiments | estimate`` > ``loop`` > ``calibrate`` > ``augment | evaluate`` > ``synth | card`` > ``config``.
The card is a pure renderer of a :class:`.config.TrainingRun` at the bottom, so
the loop (which writes the card of a trained model) and the evaluation (which
appends test metrics to it) both import it and nothing imports back.

May import: the base modules (errors, progress, atomic, devices) and
:mod:`resandi_core.model`; never the classification of track files, batch, the
command line or Qt.
"""
