"""The training-time estimate: exact arithmetic, and a real (tiny) rate measurement."""

from __future__ import annotations

import math

import pytest

from resandi_core.training.estimate import estimate_training_seconds, measure_training_rate, training_items
from resandi_core.training.loop import TrainConfig


def test_paper_recipe_is_epochs_times_one_pass():
    config = TrainConfig()  # 100 epochs, batch 64, one pass per epoch
    # 400,000 trajectories -> 6,250 steps of 64 per epoch; at 160 samples/s 2,500 s each
    assert estimate_training_seconds(config, 400_000, 160.0) == 100 * 6_250 * 64 / 160.0


def test_steps_per_epoch_replaces_the_pass_and_partial_batches_are_dropped():
    assert estimate_training_seconds(TrainConfig(max_epochs=3, batch_size=10, steps_per_epoch=7), 10**6, 5.0) == 3 * 7 * 10 / 5.0
    # 105 items, batch 10 -> 10 whole batches per pass (iter_train drops the remainder)
    assert estimate_training_seconds(TrainConfig(max_epochs=2, batch_size=10), 105, 20.0) == 2 * 10 * 10 / 20.0
    # fewer items than a batch still makes one step
    assert estimate_training_seconds(TrainConfig(max_epochs=1, batch_size=64), 5, 64.0) == 1.0


def test_time_budget_runs_the_epoch_that_crosses_it():
    config = TrainConfig(max_epochs=100, batch_size=10, steps_per_epoch=6, max_minutes=1.0)  # epochs of 60 s at rate 1
    assert estimate_training_seconds(config, 1000, 1.0) == 2 * 60.0  # after 1 epoch 60 s <= 60 s: a 2nd starts
    config = TrainConfig(max_epochs=100, batch_size=10, steps_per_epoch=5, max_minutes=1.0)  # 50 s epochs
    assert estimate_training_seconds(config, 1000, 1.0) == 2 * 50.0  # 100 s > 60 s: stops after 2
    config = TrainConfig(max_epochs=3, batch_size=10, steps_per_epoch=1, max_minutes=60.0)  # budget never reached
    assert estimate_training_seconds(config, 1000, 1.0) == 3 * 10.0


def test_a_rate_must_be_positive():
    with pytest.raises(ValueError, match="rate"):
        estimate_training_seconds(TrainConfig(), 1000, 0.0)


def test_augmentation_copies_count_per_class():
    assert training_items(8000, TrainConfig()) == 8000
    assert training_items(8000, TrainConfig(augment="random", augment_fraction=0.6)) == 8000 + 8 * 600
    assert training_items(8000, TrainConfig(augment="random", augment_fraction=0.5, augment_pool=100)) == 8000 + 8 * 50


@pytest.mark.slow
def test_measured_rate_is_positive_with_a_tiny_config():
    rate = measure_training_rate(TrainConfig(batch_size=2, precision="fp32"), device="cpu", steps=1)
    assert math.isfinite(rate) and rate > 0
