"""Licence plates: localisation, rectification, OCR engines, synthetic renderer and training."""
