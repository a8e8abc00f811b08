"""No cross-reference points to a notebook that is not there: every `NN_topic` name and every
"notebook NN" in the notebooks' Markdown, their code and the README names an existing file."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NAME = re.compile(r"\b(\d\d_[a-z][a-z0-9_]*)")
NUMBER = re.compile(r"\bnotebooks (\d\d)(?:–|-| and | to )(\d\d)\b|\bnotebooks? (\d\d)\b")


def dead_references(text: str, stems: set[str]) -> list[str]:
    """The notebook names and numbers in `text` that match no notebook of `stems`."""
    numbers = {s[:2] for s in stems}
    dead = [m for m in NAME.findall(text) if m not in stems]
    for groups in NUMBER.findall(text):
        dead += [g for g in groups if g and g not in numbers]
    return sorted(set(dead))


def _texts():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        yield path.name, "\n".join(c.source for c in nb.cells)
    yield "README.md", (ROOT / "README.md").read_text()


STEMS = {p.stem for p in NOTEBOOKS}


def test_the_collection_has_all_ten_notebooks():
    assert [p.stem[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(10)]


TEXTS = list(_texts())


@pytest.mark.parametrize(("name", "text"), TEXTS, ids=[name for name, _ in TEXTS])
def test_every_reference_to_a_notebook_names_one_that_exists(name, text):
    assert dead_references(text, STEMS) == [], f"{name} points to notebooks that do not exist"


def test_a_dead_reference_is_found():
    stems = {"00_welcome", "01_chain_rule"}
    assert dead_references("see notebook 01 and 01_chain_rule", stems) == []
    assert dead_references("see notebook 02", stems) == ["02"]
    assert dead_references("see `01_chain_rules` and notebooks 00–03", stems) == [
        "01_chain_rules",
        "03",
    ]


def test_no_nbval_comment_stands_in_the_code_a_student_reads():
    # nbval's cell tag `nbval-ignore-output` does the same out of the reader's sight
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert not [c for c in nb.cells if "NBVAL" in c.source], path.name
