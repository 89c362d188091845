"""Packaging: one version from git tags, and the extras a command needs (issue 18).

The extras' messages are tried for real in the core-only Python 3.13 environment that
`make test` builds (`pytest -m core_only`); here, the rules and the version.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

import talentsim
from talentsim.extras import EXTRAS

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.core


def _changelog_releases() -> list[str]:
    text = (REPO / "CHANGELOG.md").read_text()
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, flags=re.M)


def _tags() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        return []
    found = subprocess.run(
        ["git", "-C", str(REPO), "tag", "--list", "v*", "--merged", "HEAD", "--sort=-v:refname"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return found


def test_citation_changelog_and_tags_name_one_version() -> None:
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    releases = _changelog_releases()
    assert releases, "CHANGELOG.md has no release section"
    assert str(citation["version"]) == releases[0]
    assert "## [Unreleased]" in (REPO / "CHANGELOG.md").read_text()
    version = Version(talentsim.__version__)
    tags = _tags()
    if tags:
        assert tags[0] == f"v{releases[0]}", "the newest tag is not the newest release"
        assert version.base_version == releases[0]
        # every release in the changelog is a tag, and the other way round
        assert sorted(tags) == sorted(f"v{r}" for r in releases)
    else:  # a clone without its tags: the version says it comes from no release
        assert version.base_version == "0.0.0"


def test_the_version_is_not_written_down_twice() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert not (REPO / "src" / "talentsim" / "_version.py").exists()


def test_every_extra_of_the_message_table_is_declared() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRAS) <= set(extras)
    everything = extras["all"][0]
    assert all(name in everything for name in EXTRAS)


def test_the_core_needs_none_of_the_extras() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    for heavy in ("pyabc", "dask", "seaborn", "matplotlib", "salib", "ema", "torch", "solara"):
        assert heavy not in core


def test_the_classifiers_name_both_pythons() -> None:
    classifiers = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["classifiers"]
    for minor in ("3.12", "3.13"):
        assert f"Programming Language :: Python :: {minor}" in classifiers
