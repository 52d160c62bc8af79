"""The code blocks of README.md and docs/: found, classified and run as a reader would.

A ```bash, ```sh, ```python or ```console block runs, unless the line before its fence is
``<!-- not run: REASON -->`` (kept rare, always with a reason) or ``<!-- needs: stack -->``
(run by the integration test, on the session's stack). A ```console block is a transcript:
``$ `` lines are commands (a heredoc's body belongs to its command); the lines after a command
are its expected output, where ``...`` stands for anything.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_LANGUAGES = frozenset({"bash", "sh", "python", "console"})
_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)")
_MARKER = re.compile(r"^<!--\s*(?P<kind>not run|needs)\s*:\s*(?P<why>.*?)\s*-->$")
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
TIMEOUT_S = 180


@dataclass(frozen=True)
class Block:
    """One fenced block of a page."""

    path: Path
    line: int
    lang: str
    text: str
    marker: str  # "run", "stack" or "not run: <reason>"

    @property
    def where(self) -> str:
        """``docs/x.md:12`` for messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _marker_before(lines: list[str], index: int) -> str:
    for previous in reversed(lines[:index]):
        if not previous.strip():
            continue
        found = _MARKER.match(previous.strip())
        if not found:
            return "run"
        if found["kind"] == "needs":
            return "stack" if found["why"] == "stack" else f"unknown need: {found['why']}"
        return f"not run: {found['why']}"
    return "run"


def blocks_of(path: Path) -> Iterator[Block]:
    """The fenced blocks of one page, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        indent = len(fence["indent"])
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = "\n".join(line[indent:] for line in lines[index + 1 : end])
        yield Block(path, index + 1, fence["lang"], body + "\n", _marker_before(lines, index))
        index = end + 1


def runnable_blocks(path: Path) -> list[Block]:
    """The blocks of a page in a language this module runs."""
    return [b for b in blocks_of(path) if b.lang in RUN_LANGUAGES]


@dataclass(frozen=True)
class Step:
    """One command of a console transcript and the output it should print."""

    command: str
    expected: str


def console_steps(text: str) -> list[Step]:
    """A transcript's commands, each with its expected output (may be empty)."""
    steps: list[Step] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise ValueError(f"transcript line {index + 1} is output without a command")
        command = [line[2:]]
        index += 1
        heredoc = _HEREDOC.search(line)
        if heredoc:
            while index < len(lines) and lines[index] != heredoc.group(1):
                command.append(lines[index])
                index += 1
            command.append(lines[index] if index < len(lines) else heredoc.group(1))
            index += 1
        expected = []
        while index < len(lines) and not lines[index].startswith("$ "):
            expected.append(lines[index])
            index += 1
        steps.append(Step("\n".join(command), "\n".join(expected).strip()))
    return steps


def output_matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` contains ``expected``, where ``...`` stands for anything."""
    if not expected:
        return True
    parts = [re.escape(p) for p in expected.split("...")]
    return re.search(".*?".join(parts), actual, re.DOTALL) is not None


def workdir(tmp: Path) -> Path:
    """A folder like the repository's root (its files linked in) where blocks may write."""
    work = tmp / "work"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in (".git", ".venv", "site"):
            (work / entry.name).symlink_to(entry)
    return work


def environment(tmp: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a block: ``sgbus`` on the PATH, its state in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGBUS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["SGBUS_HOME"] = str(tmp / "home")
    env["SGBUS_STACK_DIR"] = str(tmp / "stack")
    env["COLUMNS"] = "200"  # a reader's terminal: tables are not wrapped mid-word
    env.update(extra)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A block of its own process group: at the timeout, the services it started in the
    # background go with it, instead of living on to disturb the next page.
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError(
                f"{' '.join(argv[:1])}: no end after {TIMEOUT_S} s\n"
                f"stdout:\n{out[-3000:]}\nstderr:\n{err[-3000:]}"
            ) from None
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def run_block(block: Block, cwd: Path, env: dict[str, str]) -> str | None:
    """Run one block; None when it did what it shows, else what went wrong."""
    if block.lang == "python":
        return _failure(block, _run([sys.executable, "-c", block.text], cwd, env))
    if block.lang in ("bash", "sh"):
        return _failure(block, _run(["bash", "-e", "-o", "pipefail", "-c", block.text], cwd, env))
    for step in console_steps(block.text):
        done = _run(["bash", "-e", "-o", "pipefail", "-c", step.command], cwd, env)
        problem = _failure(block, done, step.command)
        if problem:
            return problem
        if not output_matches(step.expected, done.stdout):
            return f"{block.where}: `{step.command}` printed\n{done.stdout}\nnot\n{step.expected}"
    return None


def _failure(
    block: Block, done: subprocess.CompletedProcess[str], command: str | None = None
) -> str | None:
    if done.returncode == 0:
        return None
    what = f"`{command}`" if command else "the block"
    return (
        f"{block.where}: {what} exited {done.returncode}\n"
        f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    )
