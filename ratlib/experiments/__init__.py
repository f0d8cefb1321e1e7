"""Experiments behind the book's chapters, a module each (and their shared helpers): each is a config dataclass
listing the stored results it reads (``needs()``). Its training runs are plain
:class:`ratlib.train.TrainConfig` objects, so the same stored results serve the notebooks and
the sweep command."""
