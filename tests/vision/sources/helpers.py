"""Real test media, rendered by the tests themselves: numbered frames written as video files and images."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


def numbered_frame(index: int, width: int = 320, height: int = 240) -> Image:
    """A frame whose mean blue level encodes ``index`` (survives JPEG/MPEG compression to +-2)."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, :, 0] = (index * 8) % 256
    image[:, :, 1] = 60
    cv2.putText(image, str(index), (10, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
    return image


def frame_number(image: Image) -> int:
    """The index a :func:`numbered_frame` encodes (mod 32)."""
    return round(float(np.median(image[:20, :, 0])) / 8) % 32


def write_video(path: Path, frames: int, fps: float = 25.0, width: int = 320, height: int = 240) -> Path:
    """A real MJPEG AVI file of numbered frames."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write MJPEG AVI here"
    for i in range(frames):
        writer.write(numbered_frame(i, width, height))
    writer.release()
    return path
