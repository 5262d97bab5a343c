"""The ResAnDi network's fixed numbers, importable without torch (fast GUI start-up)."""

from __future__ import annotations

#: Class names in label-index order (REFERENCE.md).
CLASS_NAMES: tuple[str, ...] = (
    "SubATTM",
    "SubCTRW",
    "SubFBM",
    "SubSBM",
    "SupFBM",
    "SupLW",
    "SupSBM",
    "BM",
)

#: Points per network input; shorter trajectories are left-padded to this length.
INPUT_LENGTH = 1000

#: Width of each of the four stages.
STAGE_CHANNELS = (64, 128, 256, 512)

#: Positions in the last stage's feature map for a 1000-point input (Grad-CAM resolution).
GRADCAM_POSITIONS = 32

STEM_KERNEL = 35
BLOCK_KERNEL = 15
