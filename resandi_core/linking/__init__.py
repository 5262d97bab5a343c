"""Movies in, tracks out: locate particles with trackpy and link them into tracks.

Owns: the linking parameters and result (:mod:`.params`), finding particles in
frames in worker processes (:mod:`.locate`) and the streamed link job with drift
subtraction (:mod:`.link`). May import: the base modules (errors, progress,
tracks) and :mod:`resandi_core.io` (the TIFF movie reader); never the model,
classification, training or the command line.
"""

from ..errors import LinkingError, StackError
from .link import iter_link, link_stack, run_link
from .locate import default_processes, locate_preview
from .params import STAGE_DRIFT, STAGE_FILTER, STAGE_LINK, STAGE_LOCATE, LinkingParams, LinkProgress, LinkResult

__all__ = [
    "LinkingError", "LinkingParams", "LinkProgress", "LinkResult", "StackError",
    "iter_link", "link_stack", "run_link", "locate_preview", "default_processes",
    "STAGE_LOCATE", "STAGE_LINK", "STAGE_FILTER", "STAGE_DRIFT",
]
