"""Faces: detection plug-ins, 5-point alignment, quality gate, embedding plug-ins, track matching.

``FacePipeline`` runs detect -> landmarks -> quality gate -> embed; ``FaceRecognizer`` (in
:mod:`amane.vision.faces.recognizer`) plugs it into the unit pipeline against a watchlist.
"""

from amane.vision.faces.pipeline import (
    FaceDetectorConfig,
    FaceEmbedderConfig,
    FacePipeline,
    FacePipelineConfig,
    FaceResult,
    PhotoRefused,
)
from amane.vision.faces.types import FaceBox, FaceQuality

__all__ = [
    "FaceBox",
    "FaceDetectorConfig",
    "FaceEmbedderConfig",
    "FacePipeline",
    "FacePipelineConfig",
    "FaceQuality",
    "FaceResult",
    "PhotoRefused",
]
