"""The book's machinery: the papermill runner, the browser check (chapter profiles: :mod:`ratlib.experiments.profiles`).

Command line: ``python -m ratlib.book {build,check,sync} ...`` (see ``--help``).
"""
