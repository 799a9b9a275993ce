"""The user's documents (issue 14): README links only files inside the project, and nothing tells
a user to install from the package index (the product ships as the offline bundle)."""
import re
from pathlib import Path

from xl_support.build import guide

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)")


def test_readme_and_docs_link_only_files_inside_the_project():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text("utf-8")
        assert "../shared" not in text, doc.name
        for target in LINK.findall(text):
            assert "://" not in target, (doc.name, target)
            path = (doc.parent / target).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), (doc.name, target)


def test_nobody_is_told_to_pip_install_from_the_index():
    texts = [(ROOT / "README.md").read_text("utf-8"), (ROOT / "docs" / "cai-dat.md").read_text("utf-8"),
             "\n".join(t for _, _, t in guide.guide_rows([], "=HP_BENEFIT()"))]
    for text in texts:
        for line in text.splitlines():
            if re.search(r"pip install (hp-support|\.(?!\S)|C:)", line):
                assert "Không cài" in line, line
    assert "cai-dat.cmd" in texts[2] and "HoTroNQ-" in texts[2]
