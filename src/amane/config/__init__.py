"""Configuration models: the centre's settings (``CenterSettings``), later the unit's ``unit.yaml``."""

from amane.config.center import CenterSettings, MapCenter, load_center_settings

__all__ = ["CenterSettings", "MapCenter", "load_center_settings"]
