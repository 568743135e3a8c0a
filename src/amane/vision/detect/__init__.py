"""Detector plug-ins behind one protocol: one file per plug-in (config + implementation)."""
