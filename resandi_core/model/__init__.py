"""The ResAnDi network, its preprocessing, Grad-CAM and model folders.

Owns: the network (:mod:`.resandi`, and :mod:`.fused` for fast CPU inference),
its fixed shapes and class names (:mod:`.spec`), turning a track into network
windows (:mod:`.preprocess`, with each track's :class:`~.preprocess.TrackStatus`),
Grad-CAM (:mod:`.gradcam`), running batches (:mod:`.inference`), model folders
on disk (:mod:`.store`) and finding models by name (:mod:`.registry`).

May import: the base modules (errors, atomic, paths, progress, devices); never
track files, linking, classification, training or the command line.
"""
