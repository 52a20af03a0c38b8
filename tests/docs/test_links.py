"""Every link in README.md and docs/ resolves inside the repository: files exist, anchors name a heading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# A Markdown document named in a code span (`docs/x.md`) is a reference a reader will look for.
NAMED_DOCUMENT = re.compile(r"`([\w./-]+\.md)`")
FENCE = re.compile(r"^(```|~~~)")


def prose(path: Path) -> str:
    """The document without its fenced code blocks."""
    kept: list[str] = []
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    return "\n".join(kept)


def anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    found: set[str] = set()
    for line in prose(path).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        candidate, number = slug, 0
        while candidate in found:
            number += 1
            candidate = f"{slug}-{number}"
        found.add(candidate)
    return found


def targets(path: Path) -> list[str]:
    text = prose(path)
    return LINK.findall(text) + NAMED_DOCUMENT.findall(text)


def test_there_are_documents_with_links() -> None:
    assert ROOT / "README.md" in DOCUMENTS
    assert sum(len(targets(path)) for path in DOCUMENTS) > 10


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    broken: list[str] = []
    for target in targets(document):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (document.parent / file_part).resolve() if file_part else document
        if file_part and not (resolved.is_relative_to(ROOT) and resolved.exists()):
            if (ROOT / file_part).exists():
                continue  # a repository path in a code span, e.g. `docs/deploy.md` from docs/
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert not broken, broken


def test_the_checker_sees_a_broken_link_and_a_broken_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n[a](missing.md) [b](#nowhere) [c](#title) `reference/flow.md`\n```\n[d](x.md)\n```\n")
    assert targets(page) == ["missing.md", "#nowhere", "#title", "reference/flow.md"]
    assert anchors(page) == {"title"}
