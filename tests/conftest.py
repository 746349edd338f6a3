"""Shared fixtures: where ``../shared`` lives, and the database URLs under test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_path() -> Path:
    """The workplace's shared folder (corpora, legal checklist); ENCAISSE_SHARED_DIR overrides."""
    return Path(os.environ.get("ENCAISSE_SHARED_DIR", ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = shared_path()
    if not (path / "corpora").is_dir():
        pytest.fail(f"shared corpora not found at {path} (set ENCAISSE_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def corpora(shared_dir: Path) -> Path:
    return shared_dir / "corpora"
