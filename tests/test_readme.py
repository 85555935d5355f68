"""The documented commands run as written: every ```bash block of README.md and docs/*.md, from a
fresh copy of the repository.

A fresh copy is the repository's tracked files (``git ls-files``, as a clone would have them,
with their working-tree content) in a temporary folder; nothing untracked (caches, run
folders) comes along. Each command line runs in bash from that folder, with ``npc`` and
``python`` on PATH meaning this interpreter and the copy's package, and ``NPC_DATA_DIR`` set
(the test is skipped without it). What is not run, and why:

- commands whose trailing comment starts with ``# long:`` (they take more than a minute)
  or ``# on a cluster:`` (they need machines running Dask);
- ``pip install`` (the copy is not installed again): for ``pip install … && COMMAND`` only
  COMMAND runs, and a ``pip install`` line alone is skipped;
- ``python -m pytest``: the test suite itself, which holds this test.

The documents' examples of the user's own files (``train.csv``/``test.csv`` with columns
``body`` and ``tag``, a ``reviews/`` folder of class folders, ``new.txt``) get small
stand-in files, written here.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
LONG = re.compile(r"#\s*long:")
ON_A_CLUSTER = re.compile(r"#\s*on a cluster:")


def commands_of(document: Path) -> list[str]:
    """Every command line of a document's bash blocks, in order (trailing comments kept)."""
    return [line for block in BLOCK.findall(document.read_text())
            for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def documented_commands() -> list[str]:
    """The command lines of the README, then of docs/*.md in name order."""
    return [command for document in DOCUMENTS for command in commands_of(document)]


def runnable(command: str) -> str | None:
    """The part of ``command`` to run, or None when it is not run (see the module docstring)."""
    if LONG.search(command) or ON_A_CLUSTER.search(command):
        return None
    if command.startswith("pip install"):
        if "&&" not in command:
            return None
        command = command.split("&&", 1)[1].strip()
    if re.search(r"\bpython -m pytest\b", command):
        return None
    return re.sub(r"\s+#.*$", "", command)


def to_run() -> list[str]:
    """The runnable commands, each once, in document order."""
    commands = []
    for command in map(runnable, documented_commands()):
        if command is not None and command not in commands:
            commands.append(command)
    return commands


def test_documents_list_commands_and_mark_the_long_ones():
    assert all(commands_of(document) for document in DOCUMENTS if document.name in ("README.md", "cli.md"))
    commands = documented_commands()
    assert any(command.startswith("npc classify") for command in commands)
    assert any(runnable(command) is None and LONG.search(command) for command in commands)
    # the imdb run with --cache-dir is 625 million pairs: it must carry the mark
    assert all(LONG.search(command) for command in commands if "--train imdb --cache-dir" in command)
    assert all(ON_A_CLUSTER.search(command) for command in commands
               if command.startswith("dask ") or "--scheduler" in command)
    assert SLOW <= set(to_run())  # the slow mark follows the documented commands


def _fresh_copy(destination: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in files.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def _stand_in_files(folder: Path) -> None:
    rows = [("the cat sat on the mat", "pets"), ("stocks fell on wall street", "money"),
            ("a kitten purrs on the sofa", "pets"), ("shares rose after the report", "money")]
    for name, part in (("train.csv", rows), ("test.csv", rows[:2])):
        lines = ["body,tag"] + [f"{text},{label}" for text, label in part]
        (folder / name).write_text("\n".join(lines) + "\n")
    for split in ("train", "test"):
        for index, (text, label) in enumerate(rows if split == "train" else rows[:2]):
            (folder / "reviews" / split / label).mkdir(parents=True, exist_ok=True)
            (folder / "reviews" / split / label / f"{index}.txt").write_text(text)
    (folder / "new.txt").write_text("a wonderful, moving film\nthe worst film I have seen\n")


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory):
    if not os.environ.get("NPC_DATA_DIR"):
        pytest.skip("the documented commands read the real data sets: set NPC_DATA_DIR")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to make a fresh copy")
    copy = _fresh_copy(tmp_path_factory.mktemp("fresh_copy"))
    _stand_in_files(copy)
    bin_dir = tmp_path_factory.mktemp("bin")
    # scripts, not symlinks: a virtual environment's interpreter finds its packages from its own path
    for name, program in (("python", ""), ("npc", " -m npc")):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{sys.executable}"{program} "$@"\n')
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(copy),
               NPC_CACHE_DIR=str(tmp_path_factory.mktemp("user_cache")), HF_DATASETS_OFFLINE="1")
    return copy, env


# Commands that classify hundreds of real reviews (each over 15 s on a 2-core machine).
SLOW = {"npc classify", "npc classify --train imdb --predict new.txt > labels.txt"}


@pytest.mark.parametrize("command", [pytest.param(command, marks=pytest.mark.slow) if command in SLOW else command
                                     for command in to_run()])
def test_documented_command_runs_as_written(command, fresh_copy):
    copy, env = fresh_copy
    done = subprocess.run(["bash", "-c", command], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr, done.stderr


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_document_links_lead_to_files(document):
    targets = [target.split("#")[0] for target in LINK.findall(document.read_text())
               if not re.match(r"[a-z]+:", target) and not target.startswith("#")]
    missing = [target for target in targets if not (document.parent / target).exists()]
    assert not missing, f"{document.name} links to missing files: {missing}"


def test_readme_links_every_doc():
    readme = (ROOT / "README.md").read_text()
    assert [path.name for path in DOCUMENTS[1:] if f"(docs/{path.name})" not in readme] == []


COMPARISONS = sorted((ROOT / "results").glob("compare_*.md"))


def test_readme_shows_the_comparisons():
    assert {path.name for path in COMPARISONS} >= {"compare_imdb-sample.md", "compare_r8.md"}


@pytest.mark.parametrize("comparison", COMPARISONS, ids=lambda path: path.name)
def test_readme_which_model_tables_are_the_committed_comparisons(comparison):
    """Each "Which model?" table is its results file's, line for line: regenerate both together."""
    table = [line for line in comparison.read_text().splitlines() if line.startswith("|")]
    assert len(table) > 2 and "\n".join(table) in (ROOT / "README.md").read_text()
