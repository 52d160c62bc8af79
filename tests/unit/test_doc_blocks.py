"""Every shell, Python and console block of README.md and docs/ runs as written (those that
need no stack; tests/integration/test_doc_blocks_stack.py runs the others)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doc_blocks import (
    ROOT,
    blocks_of,
    console_steps,
    doc_files,
    environment,
    output_matches,
    run_block,
    runnable_blocks,
    workdir,
)

PAGES = [p for p in doc_files() if any(b.marker == "run" for b in runnable_blocks(p))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_blocks_of_the_page_run(page: Path, tmp_path: Path) -> None:
    cwd = workdir(tmp_path)
    env = environment(tmp_path, {"SGBUS_INSECURE": "1"})
    for block in runnable_blocks(page):
        if block.marker == "run":
            problem = run_block(block, cwd, env)
            assert problem is None, problem


def test_every_block_is_run_or_says_why_not() -> None:
    blocks = [b for p in doc_files() for b in runnable_blocks(p)]
    bad = [b.where for b in blocks if b.marker.strip() == "not run:"]
    unknown = [b.where for b in blocks if b.marker.startswith("unknown need")]
    assert not bad and not unknown, (bad, unknown)
    not_run = [b for b in blocks if b.marker.startswith("not run")]
    # Blocks that are not executed are the exception: at most one in four.
    assert len(not_run) * 4 <= len(blocks), [b.where for b in not_run]


def test_every_block_names_its_language() -> None:
    bare = [b.where for p in doc_files() for b in blocks_of(p) if not b.lang]
    assert not bare, f"fenced blocks without a language: {bare}"


def test_transcripts_are_parsed_into_commands_and_output() -> None:
    steps = console_steps("$ cat > a.yaml <<'YAML'\nx: 1\nYAML\n$ echo hi\nhi\n")
    assert [s.command for s in steps] == ["cat > a.yaml <<'YAML'\nx: 1\nYAML", "echo hi"]
    assert [s.expected for s in steps] == ["", "hi"]
    with pytest.raises(ValueError, match="output without a command"):
        console_steps("orphan\n$ true\n")


def test_expected_output_allows_ellipses_and_nothing_else() -> None:
    assert output_matches('{"a": 1, ..., "z": 2}', '{"a": 1, "b": 5, "z": 2}\n')
    assert not output_matches('{"a": 1, ..., "z": 3}', '{"a": 1, "b": 5, "z": 2}\n')
