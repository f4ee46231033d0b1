"""The ITA domain: frameworks per fiscal year, scoring, analysis, recommendations and storage.

Nothing in this package imports Flask, ``linebot`` or ``bot``: it takes a SQLAlchemy ``Session``
or plain values and returns dataclasses.
"""
