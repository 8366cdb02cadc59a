"""Where the Gen Z experiments keep their measurements: JSON beside the models."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_json(path: Path, obj, **dumps) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (a half-written file is never read).

    The folder is created if needed; ``dumps`` go to :func:`json.dumps`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, **dumps))
    os.replace(tmp, path)
