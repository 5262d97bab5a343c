"""ResAnDi core: tracks in, anomalous-diffusion classes and Grad-CAM out.

This package computes and never imports Qt. Heavy dependencies (torch) are
imported by the submodules that need them, not here, so ``import resandi_core``
stays cheap for the GUI's start-up.
"""

__version__ = "0.1.0"
