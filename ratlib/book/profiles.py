"""The chapters' profiles, under the name notebooks and older code import them by.

They live in :mod:`ratlib.experiments.profiles`, beside the experiments they configure, so the
command line reads them without importing the book.
"""
from ..experiments.profiles import *  # noqa: F401,F403  (every public name, seed dicts included)
