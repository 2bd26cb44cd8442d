"""Shared fixtures: the repository root (the bundled books live there), and the Rust library's
answers to random quotes (`examples/quote_oracle.rs`), for the differential test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def pytest_sessionstart(session):
    # Paths in answers (`file:line` in explanations) are as the command line shows them from
    # the repository root.
    os.chdir(ROOT)


def oracle_binary() -> Path:
    """The quote oracle: `PRICEBOOK_ORACLE` when CI built it, else built here."""
    given = os.environ.get("PRICEBOOK_ORACLE")
    if given:
        return Path(given)
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--example", "quote_oracle"],
        cwd=ROOT,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / "quote_oracle"


def cli_binary() -> Path:
    """The `pricebook` command: `PRICEBOOK_CLI` when CI built it, else built here."""
    given = os.environ.get("PRICEBOOK_CLI")
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "pricebook"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "pricebook"


@pytest.fixture(scope="session")
def oracle() -> Path:
    return oracle_binary()


@pytest.fixture(scope="session")
def cli() -> Path:
    return cli_binary()
