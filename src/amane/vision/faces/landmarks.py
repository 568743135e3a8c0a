"""dlib's 5-point landmark model (eye corners and nose base), from the ``face-recognition-models`` wheel.

The 68-point model in the same wheel is never used: its training data (iBUG 300-W) forbids
commercial use. The 5-point model is free of that restriction.
"""

from __future__ import annotations

import threading

import numpy as np

from amane.vision.faces.models import SHAPE_PREDICTOR_5, model_path
from amane.vision.faces.types import FaceBox, FloatArray, Image

_lock = threading.Lock()
_predictor: object | None = None


def _shape_predictor() -> object:
    global _predictor
    with _lock:
        if _predictor is None:
            import dlib

            _predictor = dlib.shape_predictor(str(model_path(SHAPE_PREDICTOR_5)))
        return _predictor


def landmarks5(gray: Image, face: FaceBox) -> FloatArray:
    """dlib's 5 landmarks (5, 2) of ``face`` in a grey (or RGB) image, in image pixels.

    >>> img = np.zeros((200, 200), np.uint8)
    >>> landmarks5(img, FaceBox((50.0, 50.0, 150.0, 150.0), 1.0)).shape
    (5, 2)
    """
    import dlib

    x1, y1, x2, y2 = face.box
    rect = dlib.rectangle(round(x1), round(y1), round(x2), round(y2))
    shape = _shape_predictor()(gray, rect)  # type: ignore[operator]
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)


def arcface_points_from_dlib5(points: FloatArray) -> FloatArray:
    """Approximate ArcFace's eye centres and nose tip from dlib's 5 points (3, 2).

    dlib's model has no mouth corners; the ArcFace transform is then fitted on these three points
    against the first three template points.
    """
    eye_img_left = points[2:4].mean(axis=0)
    eye_img_right = points[0:2].mean(axis=0)
    eye_mid = (eye_img_left + eye_img_right) / 2.0
    nose_tip = eye_mid + (points[4] - eye_mid) * 0.82  # the tip sits above the base of the nose
    return np.stack([eye_img_left, eye_img_right, nose_tip]).astype(np.float32)
