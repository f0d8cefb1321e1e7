"""Measurements of encoders' token states that the book's chapters make (no training, nothing stored;
the experiments that run them and store their results are in :mod:`ratlib.experiments`)."""
