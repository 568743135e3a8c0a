"""The patrol unit runtime: pipeline wiring, scheduling, evidence, outbox, uplink, inbox, crew page."""
