"""Experiments behind the book's chapters: each is a config dataclass whose
training runs are plain :class:`ratlib.train.TrainConfig` objects, so the
same stored results serve the notebooks and the sweep command."""
