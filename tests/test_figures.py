"""docs/coverage/figures.md says where each seed figure ("Hình N") has its counterpart: every
notebook it names must carry that number on a picture, and every figure without one must say why."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "coverage" / "figures.md"
NUMBERS = r"\d+(?:\s*[–-]\s*\d+)?"
JOIN = r"(?:\s*,\s*|\s*\(=\s*|\s*\(and\s*|\)\s*,?\s*|\s+and\s+)"
LABEL = re.compile(rf"Hình ({NUMBERS}(?:{JOIN}{NUMBERS})*)")


def labelled(text: str) -> set:
    """Every figure number a text labels: "Hình 13 (= 50)", "Hình 60–62", "Hình 71, 73, 79"."""
    found = set()
    for run in LABEL.findall(text):
        for a, b in re.findall(r"(\d+)(?:\s*[–-]\s*(\d+))?", run):
            found.update(range(int(a), int(b or a) + 1))
    return found


def test_labels_are_read_as_written():
    text = "Hình 13 (= 50): σ; Hình 55–56 (and 48–49); Hình 36, 38, 40, 42: x; Hình 10: row 0, 3"
    assert labelled(text) == {13, 50, 55, 56, 48, 49, 36, 38, 40, 42, 10}


def _rows(section: str):
    """(figure number, where, status) for each numbered row of one seed's table."""
    body = FIGURES.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit():
            yield int(cells[0]), cells[3], cells[4]


def _notebook_text(number: str) -> str:
    (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells)


SEEDS = ["000 `mlp-vanishing-dying-relu.md`", "004 `cv-journey-linear-regression-to-cnns.md`"]


@pytest.mark.parametrize("section", SEEDS, ids=["seed000", "seed004"])
def test_every_counterpart_carries_its_number_and_every_gap_its_reason(section):
    rows = list(_rows(section))
    assert rows, section
    texts = {}
    for number, where, status in rows:
        notebooks = re.findall(r"NB(\d\d)", where)
        if status.startswith("none"):
            assert not notebooks and len(status) > len("none: ") + 20, (number, status)
            continue
        assert notebooks, (number, where)
        for nb in notebooks:
            texts.setdefault(nb, labelled(_notebook_text(nb)))
            assert number in texts[nb], f"notebook {nb} has no picture titled Hình {number}"


def test_the_004_table_lists_every_figure_once():
    numbers = [n for n, _, _ in _rows(SEEDS[1])]
    assert sorted(numbers) == list(range(1, 113))
