"""Video sources: file, stream, USB camera, image folder, 360° equirectangular panorama, multi-camera rig.

``SourceConfig`` is the discriminated union a unit config names (key ``type``) and ``open_source``
opens one; every source implements :class:`~amane.vision.sources.base.FrameSource`.

>>> from pydantic import TypeAdapter
>>> cfg = TypeAdapter(SourceConfig).validate_python(
...     {"type": "rig", "cameras": [
...         {"type": "stream", "id": "front", "url": "rtsp://10.0.0.2/1", "mount": {"yaw_deg": 0}},
...         {"type": "stream", "id": "rear", "url": "rtsp://10.0.0.3/1", "mount": {"yaw_deg": 180}}]})
>>> [c.mount.yaw_deg for c in cfg.cameras]
[0.0, 180.0]
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from amane.vision.sources.base import CameraView, Frame, FrameSource, SourceStats
from amane.vision.sources.capture import MountConfig
from amane.vision.sources.equirect import EquirectSource, EquirectSourceConfig, PanoramaViewConfig
from amane.vision.sources.file import FileSource, FileSourceConfig
from amane.vision.sources.folder import FolderSource, FolderSourceConfig
from amane.vision.sources.rig import RigSource, RigSourceConfig
from amane.vision.sources.single import CaptureConfig, open_capture
from amane.vision.sources.stream import StreamSource, StreamSourceConfig
from amane.vision.sources.usb import UsbSource, UsbSourceConfig

__all__ = [
    "CameraView",
    "CaptureConfig",
    "EquirectSource",
    "EquirectSourceConfig",
    "FileSource",
    "FileSourceConfig",
    "FolderSource",
    "FolderSourceConfig",
    "Frame",
    "FrameSource",
    "MountConfig",
    "PanoramaViewConfig",
    "RigSource",
    "RigSourceConfig",
    "SourceConfig",
    "SourceStats",
    "StreamSource",
    "StreamSourceConfig",
    "UsbSource",
    "UsbSourceConfig",
    "open_capture",
    "open_source",
]

SourceConfig = Annotated[
    FileSourceConfig
    | StreamSourceConfig
    | UsbSourceConfig
    | FolderSourceConfig
    | EquirectSourceConfig
    | RigSourceConfig,
    Field(discriminator="type"),
]
"""Any video source a unit can read: ``file``, ``stream``, ``usb``, ``folder``, ``equirect`` or ``rig``."""


def open_source(config: SourceConfig) -> FrameSource:
    """Open the source a config describes (a rig or 360° camera opens all its parts)."""
    if isinstance(config, EquirectSourceConfig):
        return EquirectSource(config)
    if isinstance(config, RigSourceConfig):
        return RigSource(config)
    return open_capture(config)
