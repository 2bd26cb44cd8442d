"""`pricebook.check`: every diagnostic of the books under the paths."""

from __future__ import annotations

import json
import subprocess

import pricebook


def test_the_bundled_books_check_clean():
    assert [d for d in pricebook.check(["pricebooks"]) if d.is_error] == []


def test_check_reports_what_the_command_line_reports(cli):
    paths = ["tests/ui/keyword-typo-mesure.pricebook", "docs/examples/quickstart.pricebook"]
    ours = pricebook.check(paths)
    run = subprocess.run([str(cli), "check", "--format", "json", *paths], capture_output=True, text=True)
    theirs = json.loads(run.stdout)["diagnostics"]
    assert [(d.code, d.severity, d.message, d.file, d.line, d.column, d.help) for d in ours] == [
        (d["code"], d["severity"], d["message"], d["file"], d["line"], d["column"], d["help"]) for d in theirs
    ]


def test_a_single_path_may_be_a_string():
    ds = pricebook.check("tests/ui/keyword-typo-mesure.pricebook")
    assert [d.code for d in ds] == ["syntax-error"]
    assert str(ds[0]).startswith("tests/ui/keyword-typo-mesure.pricebook:7:3: error[syntax-error]")
