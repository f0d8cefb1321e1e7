"""Analyses that the book's chapters run on encoders and data (no training)."""
