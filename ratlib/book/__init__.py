"""The book's machinery: chapter profiles, the papermill runner, the browser check.

Command line: ``python -m ratlib.book {build,check,sync} ...`` (see ``--help``).
"""
