"""No cross-reference points to a notebook that is not there: every `NN_topic` name and every
"notebook NN" in the notebooks' Markdown, their code and the README names an existing file, and
every exercise links to its worked solution, a heading of `solutions/NN_topic_solutions.ipynb`."""

import itertools
import re
from pathlib import Path

import nbformat
import pytest
from build_site import course_notebooks, solution_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS, SOLUTIONS = course_notebooks(), solution_notebooks()
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
    for path in NOTEBOOKS + SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        yield path.name, "\n".join(c.source for c in nb.cells)
    yield "README.md", (ROOT / "README.md").read_text()


STEMS = {p.stem for p in NOTEBOOKS + SOLUTIONS}


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
    for path in NOTEBOOKS + SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        assert not [c for c in nb.cells if "NBVAL" in c.source], path.name


EXERCISE = re.compile(r"^\d+\. \*\*(.+?)\.?\*\*", re.M)  # 1. **Title.** ...
HEADING = re.compile(r"^## Exercise (\d+): (.+?)\s*$", re.M)


def exercises(nb) -> list[tuple[str, str]]:
    """(title, text) of each numbered exercise in the notebook's `## Exercises` section."""
    cell = next(c.source for c in nb.cells if "## Exercises" in c.source)
    section = cell[cell.index("## Exercises") :].split("\n\nNext,")[0]
    starts = [m.start() for m in EXERCISE.finditer(section)] + [len(section)]
    return [
        (EXERCISE.match(section, a).group(1), section[a:b]) for a, b in itertools.pairwise(starts)
    ]


def anchor(heading: str) -> str:
    """The id JupyterLab gives a Markdown heading: its text with spaces as hyphens."""
    return heading.replace(" ", "-")


def missing_solution_links(source, solution, stem: str) -> list[str]:
    """The exercises of `source` whose solution heading or link to it is missing."""
    headings = dict(HEADING.findall("\n".join(c.source for c in solution.cells)))
    missing = []
    for k, (title, text) in enumerate(exercises(source), start=1):
        link = f"(solutions/{stem}_solutions.ipynb#{anchor(f'Exercise {k}: {title}')})"
        if headings.get(str(k)) != title or link not in text:
            missing.append(f"exercise {k}: {title}")
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_exercise_links_to_its_worked_solution(path):
    solution_path = ROOT / "notebooks" / "solutions" / f"{path.stem}_solutions.ipynb"
    assert solution_path.exists(), f"{path.name} has no solution notebook"
    source = nbformat.read(path, as_version=4)
    solution = nbformat.read(solution_path, as_version=4)
    assert exercises(source), f"{path.name} has no exercises"
    assert missing_solution_links(source, solution, path.stem) == []
    headings = HEADING.findall("\n".join(c.source for c in solution.cells))
    assert [int(k) for k, _ in headings] == list(range(1, len(exercises(source)) + 1))


def test_a_missing_solution_link_is_found():
    exercise = "## Exercises\n\n1. **Orders.** Try it. ([solution]({link}))\n2. **Sizes.** Count.\n"
    link = "solutions/01_x_solutions.ipynb#Exercise-1:-Orders"
    source = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(exercise.format(link=link))]
    )
    solution = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("## Exercise 1: Orders\n\n## Exercise 2: Sizes")]
    )
    assert missing_solution_links(source, solution, "01_x") == ["exercise 2: Sizes"]
    solution.cells[0].source = "## Exercise 1: Order"  # a heading that no longer matches
    assert missing_solution_links(source, solution, "01_x") == [
        "exercise 1: Orders",
        "exercise 2: Sizes",
    ]


def test_each_notebook_links_to_the_errata_of_the_notes_it_resolves():
    glossary = (ROOT / "notebooks" / "glossary.md").read_text()
    errata = glossary[glossary.index("## Errata of the notes") :].splitlines()
    rows = [r for r in errata if r.startswith("| ") and not r.startswith("| the notes say")]
    where = {n for r in rows for n in re.findall(r"\b(\d\d)\b", r.rstrip(" |").rsplit("|", 1)[-1])}
    assert where >= {"02", "03", "04", "05", "07", "08"}
    for path in NOTEBOOKS:
        if path.stem[:2] in where:
            nb = nbformat.read(path, as_version=4)
            text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
            assert "(glossary.md#Errata-of-the-notes)" in text, path.name
