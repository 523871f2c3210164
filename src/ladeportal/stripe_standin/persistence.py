"""Keeps the stand-in's state in a JSON file across restarts (`make run`): loaded at start, rewritten after
each change by a thread of its own, so no request waits for the disk."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from ladeportal.stripe_standin.store import Store


def load_state(store: Store, path: Path) -> None:
    if not path.exists():
        return
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold the stand-in's state")
    store.restore(data)


class StateWriter:
    """Changes only set a flag; the thread writes the newest snapshot, so a burst of changes is one write."""

    def __init__(self, store: Store, path: Path) -> None:
        self._store = store
        self._path = path
        self._dirty = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-standin-state", daemon=True)
        store.on_change(self._dirty.set)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._dirty.set()
        self._thread.join(timeout=10)
        self.write()  # whatever changed after the thread's last write

    def write(self) -> None:
        snapshot = self._store.snapshot()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed over it: a crash mid-write leaves the previous state whole.
        fd, temporary = tempfile.mkstemp(dir=self._path.parent, prefix=self._path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(snapshot, file)
        os.replace(temporary, self._path)

    def _run(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            if self._stopping:
                return
            self.write()
