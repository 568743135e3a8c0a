"""Where the model files shipped in the ``face-recognition-models`` wheel are.

``import face_recognition_models`` needs ``pkg_resources`` (gone from recent setuptools), so the
package is located without importing it. Only the 5-point landmark model and the ResNet are used:
the 68-point model's training data forbids commercial use.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

SHAPE_PREDICTOR_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"


class ModelNotFoundError(FileNotFoundError):
    """A model file that should ship in a wheel is missing."""


@cache
def model_path(name: str) -> Path:
    """The path of ``name`` inside the installed ``face-recognition-models`` package.

    >>> model_path(RESNET).name
    'dlib_face_recognition_resnet_model_v1.dat'
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError("the face-recognition-models package is not installed (pip install amane)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing from face-recognition-models")
    return path
