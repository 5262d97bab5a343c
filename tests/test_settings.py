"""The user's settings file: typed, versioned, tolerant of old, new and broken files."""

import json

from resandi_core.settings import (
    MAX_RECENT_FILES,
    SETTINGS_VERSION,
    Settings,
    load_settings,
    save_settings,
    settings_path,
)


def test_tests_never_touch_the_real_settings(tmp_path):
    # conftest points RESANDI_SETTINGS_FILE at a temporary folder for every test.
    assert "user_settings" in str(settings_path())


def test_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "s.json"
    settings = Settings(last_open_dir="/data", pixel_size_um=0.16, frame_interval_s=0.05,
                        linking={"diameter": 9, "invert": True}, device="cpu", model="mine", gradcam_relu=True)
    settings.add_recent(tmp_path / "a.csv")
    save_settings(settings, path)
    assert json.loads(path.read_text())["version"] == SETTINGS_VERSION
    assert load_settings(path) == settings


def test_missing_broken_and_foreign_files_give_defaults(tmp_path):
    assert load_settings(tmp_path / "none.json") == Settings()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert load_settings(broken) == Settings()
    broken.write_text("[1, 2]")
    assert load_settings(broken) == Settings()


def test_wrong_types_and_unknown_keys_are_dropped_one_by_one(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"version": 99, "device": 3, "pixel_size_um": -1, "frame_interval_s": 0.1,
                                "gradcam_relu": "yes", "future_field": 1, "recent_files": ["a", 5]}))
    settings = load_settings(path)
    assert settings.device == "auto" and settings.pixel_size_um is None and settings.gradcam_relu is False
    assert settings.frame_interval_s == 0.1 and settings.recent_files == ["a"]


def test_recent_files_most_recent_first_without_repeats(tmp_path):
    settings = Settings()
    for i in range(MAX_RECENT_FILES + 3):
        settings.add_recent(tmp_path / f"{i}.csv")
    settings.add_recent(tmp_path / "5.csv")
    assert len(settings.recent_files) == MAX_RECENT_FILES
    assert settings.recent_files[0].endswith("5.csv") and settings.recent_files.count(settings.recent_files[0]) == 1


def test_a_newer_apps_settings_file_is_not_overwritten(tmp_path):
    path = tmp_path / "s.json"
    newer = {"version": SETTINGS_VERSION + 1, "device": "cuda", "something_new": [1, 2]}
    path.write_text(json.dumps(newer))
    settings = load_settings(path)
    assert settings.device == "cuda"  # what this version understands is used
    settings.device = "cpu"
    save_settings(settings, path)
    assert json.loads(path.read_text()) == newer
