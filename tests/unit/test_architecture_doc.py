"""docs/architecture.md names files a newcomer opens: each must exist, or the map is wrong."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bedrock_mistral/", "langchain_bedrock_mistral/", "llama_index_bedrock_mistral/", "tests/")


def named_paths() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return [p for p in re.findall(r"`([^`\s]+)`", text) if p.startswith(PACKAGES)]


def test_the_architecture_doc_names_files_that_exist() -> None:
    paths = named_paths()
    assert len(paths) >= 15  # the doc maps the layers and the request path through named files
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == []


def test_the_readme_links_the_architecture_doc() -> None:
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")
