"""ratlib: selective rationalization with pre-trained language models."""
__version__ = "0.1.0"
