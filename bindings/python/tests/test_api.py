"""The contract's names exist, and the type stubs describe what the extension has."""

from __future__ import annotations

import ast
from pathlib import Path

import pricebook

STUB = Path(__file__).resolve().parents[1] / "pricebook" / "_native.pyi"


def test_the_issue_names_exist():
    for name in ("load", "check", "Rejected", "BookError", "Error", "Diagnostic"):
        assert hasattr(pricebook, name), name
    book = pricebook.load("pricebooks/hedra")
    for name in ("quote", "capacity", "bill", "rate"):
        assert callable(getattr(book, name))


def test_the_stubs_name_what_the_extension_has():
    tree = ast.parse(STUB.read_text())
    import pricebook._native as native

    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(native, node.name)
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AnnAssign)):
                    name = member.name if isinstance(member, ast.FunctionDef) else member.target.id
                    assert hasattr(cls, name), f"{node.name}.{name}"
        elif isinstance(node, ast.FunctionDef):
            assert callable(getattr(native, node.name)), node.name
    assert (STUB.parent / "py.typed").exists()


def test_path_is_what_was_given():
    book = pricebook.load("pricebooks/hedra")
    assert str(book.path) == "pricebooks/hedra"
