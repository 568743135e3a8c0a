"""Simulation for the demo, tests and benchmarks: synthetic camera scenes, a city with routes, a fleet."""
