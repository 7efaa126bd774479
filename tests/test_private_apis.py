"""The project's code calls no private API of Django or of a library: they change without notice."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["accounts", "batches", "binaboard"]
# Private names the code once leaned on, and the likes of them.
PRIVATE = {
    "_raw_delete",  # django QuerySet
    "_state",  # django Model instance bookkeeping
    "_filelist",  # zipstream-ng
    "_gen_file_entry",  # zipstream-ng
    "_central_directory_header_data",  # zipstream-ng / zipfile
    "_project_perms_cache",  # a cache once stamped on users
    "user_perms",  # permissions once stamped on projects
}


def private_uses() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                name = (
                    node.attr
                    if isinstance(node, ast.Attribute)
                    else node.name
                    if isinstance(node, ast.FunctionDef)
                    else None
                )
                if name in PRIVATE:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def test_no_code_uses_a_private_api_or_a_stamped_attribute():
    assert private_uses() == []
