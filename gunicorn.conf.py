"""gunicorn settings beyond the Procfile's command line; gunicorn reads ``./gunicorn.conf.py`` itself."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Freeze the heap the app was built with, once the worker has loaded it.

    Modules, SQLAlchemy's mappings, compiled templates and the matcher's tables are some 200,000
    objects that live as long as the process. Left to the cyclic collector, every full collection
    walks them all while holding the GIL: pauses of 20-80 ms in the middle of requests (measured
    under the webhook benchmark). Frozen, they are never walked again; garbage made later is
    collected as before.
    """
    gc.collect()
    gc.freeze()
