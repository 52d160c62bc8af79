"""The README's and docs/'s blocks marked ``<!-- needs: stack -->`` run on the session's
secured stack, in page order, as an operator would type them (see tests/doc_blocks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sgbus.stack.testing import StackEndpoints
from tests.doc_blocks import ROOT, doc_files, environment, run_block, runnable_blocks, workdir

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PAGES = [p for p in doc_files() if any(b.marker == "stack" for b in runnable_blocks(p))]


def stack_environment(stack: StackEndpoints, tmp: Path) -> dict[str, str]:
    """What makes ``sgbus`` in a block act on the session's stack, with its ports and folder."""
    if stack.local is None:
        pytest.skip("needs the session's own local stack (its folder and identity provider)")
    cfg = stack.local.cfg
    extra = {
        **stack.environment(),
        "SGBUS_HOME": str(cfg.home),
        "SGBUS_STACK_DIR": str(cfg.state_dir),
        "SGBUS_KAFKA_PORT": str(cfg.kafka_port),
        "SGBUS_REGISTRY_PORT": str(cfg.registry_port),
        "SGBUS_IDENTITY_PORT": str(cfg.identity_port),
        "SGBUS_IDENTITY_MANAGEMENT_PORT": str(cfg.identity_management_port),
        "SGBUS_KAFKA_INTERNAL_PORT": str(cfg.internal_port),
    }
    return environment(tmp, extra)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_stack_blocks_of_the_page_run(page: Path, stack: StackEndpoints, tmp_path: Path) -> None:
    env = stack_environment(stack, tmp_path)
    cwd = workdir(tmp_path)
    for block in runnable_blocks(page):
        if block.marker == "stack":
            problem = run_block(block, cwd, env)
            assert problem is None, problem
