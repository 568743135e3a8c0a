"""Behaviour alarms over tracks: zones, lines, ground calibration and rules (intrusion, line
crossing, loitering, speed, crowd, dispersal, abandoned object, person down, wrong way)."""

from amane.vision.behavior.config import BehaviorConfig, CameraBehaviorConfig, load_behavior_config
from amane.vision.behavior.engine import BehaviorEngine

__all__ = ["BehaviorConfig", "BehaviorEngine", "CameraBehaviorConfig", "load_behavior_config"]
