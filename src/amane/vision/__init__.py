"""Perception: pure frame -> result functions, and the plug-in protocols the unit runtime calls."""
