"""Detector plug-ins behind one protocol, one file each (config + implementation).

``DetectorConfig`` is the discriminated union a unit config names (key ``type``); ``build_detector``
makes one.

>>> det = build_detector(ClassicalDetectorConfig())
>>> len(det.detect(np.zeros((720, 1280, 3), np.uint8), regions=[]))   # nothing moved: nothing to do
0
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from amane.vision.detect.base import BUS, CAR, MOTORCYCLE, PERSON, TRUCK, VEHICLE_CLASSES, Box, Detector
from amane.vision.detect.classical import ClassicalDetector, ClassicalDetectorConfig
from amane.vision.detect.onnx_yolo import OnnxYoloConfig, OnnxYoloDetector

__all__ = [
    "BUS",
    "CAR",
    "MOTORCYCLE",
    "PERSON",
    "TRUCK",
    "VEHICLE_CLASSES",
    "Box",
    "ClassicalDetector",
    "ClassicalDetectorConfig",
    "Detector",
    "DetectorConfig",
    "OnnxYoloConfig",
    "OnnxYoloDetector",
    "build_detector",
]

_ = np  # for the doctest namespace

DetectorConfig = Annotated[ClassicalDetectorConfig | OnnxYoloConfig, Field(discriminator="type")]
"""Any detector: ``classical`` (default, no model file) or ``onnx-yolo``."""


def build_detector(config: DetectorConfig | None = None) -> Detector:
    """The detector a config describes (the classical default when None)."""
    if config is None or isinstance(config, ClassicalDetectorConfig):
        return ClassicalDetector(config)
    return OnnxYoloDetector(config)
