"""The GUI process's heap and Python's cyclic garbage collector.

A full collection walks every container object the process holds, and it runs in whichever
thread happens to allocate when it is due, holding the GIL, so the GUI thread waits for it. With
the library open that is over 130,000 objects (modules, classes, functions, the window): a
121 ms stall, once per scroll through a 10k-asset grid. The objects alive once start-up is done
live as long as the app, so they are moved out of the collector's reach (`gc.freeze`); a full
collection then walks only what was made since, a few milliseconds' worth.
"""

from __future__ import annotations

import gc

_frozen: set[str] = set()
"""The parts of start-up whose objects are frozen."""


def freeze_start_up_objects(part: str) -> None:
    """Once per part of start-up (the library with its panels, the pipeline's warm-up imports),
    when the main window sees it done; they finish in either order, so each freezes what exists
    by then. The young generations are collected first (a millisecond), so only cyclic garbage
    already old stays frozen, a one-off few kilobytes."""
    if part in _frozen:
        return
    _frozen.add(part)
    gc.collect(1)
    gc.freeze()
