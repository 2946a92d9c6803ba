"""The CLI's shape (issue #14): one module per command in ``flows/commands/``, each with
``configure_parser`` and ``run``, all listed in ``flows/cli.py``; no argparse and no terminal
output in ``pipeline/`` or ``warehouse/``; one orchestration that records every failed run."""

from __future__ import annotations

import ast
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import flows.commands
from flows import orchestration
from flows.cli import COMMANDS, EXAMPLES, build_parser, main
from pipeline.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODULES = {"common", "summary"}  # helpers of several commands, not commands
COMMAND_NAMES = sorted(m.NAME for m in COMMANDS)


def test_every_command_module_is_registered_and_has_the_shape() -> None:
    found = {info.name for info in pkgutil.iter_modules(flows.commands.__path__)} - SHARED_MODULES
    assert found == {m.__name__.rsplit(".", 1)[1] for m in COMMANDS}
    for module in COMMANDS:
        assert module.__name__ == f"flows.commands.{module.NAME}"
        assert module.HELP and "blogscope " + module.NAME in module.EXAMPLES, module.NAME
        assert list(inspect.signature(module.configure_parser).parameters) == ["parser"]
        assert list(inspect.signature(module.run).parameters) == ["args", "settings"]
    assert len(COMMAND_NAMES) == len(set(COMMAND_NAMES)) and set(EXAMPLES) == {"main", *COMMAND_NAMES}


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_help_exits_0_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: blogscope {command}") and "example" in out


def test_the_console_script_lists_every_command() -> None:
    proc = subprocess.run([str(Path(sys.executable).parent / "blogscope"), "--help"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert all(f"    {name} " in proc.stdout for name in COMMAND_NAMES), proc.stdout


def test_extract_has_max_bytes() -> None:
    args = build_parser().parse_args(["extract", "page.html", "--max-bytes", "1000"])
    assert args.max_bytes == 1000


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    imports = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imports |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return names | {f"import {name}" for name in imports}


@pytest.mark.parametrize("package", ["pipeline", "warehouse"])
def test_no_argparse_and_no_printing_below_flows(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        used = _calls(path) & {"print", "import argparse"}
        if used:
            offenders.append(f"{rel}: {sorted(used)}")
    assert not offenders


# ----------------------------------------------------------------------------- orchestration


def _processed_home(tmp_path: Path, run_id: str) -> Path:
    from tests.support.warehouse_world import World

    home = tmp_path / "home"
    World(seed=5, sites=1, posts_per_site=6, max_comments=4).write_run(home / "runs" / run_id / "processed", run_id)
    return home


def test_a_failing_stage_is_recorded_as_a_failed_run_and_published(tmp_path: Path) -> None:
    run_id = "20260101T000000Z-0001"
    settings = load_settings(home=_processed_home(tmp_path, run_id))

    def broken_load(*_args: object) -> dict[str, int]:
        raise RuntimeError("simulated load failure")

    stages = orchestration.Stages(**{**orchestration.plain_stages().__dict__, "load": broken_load})
    with pytest.raises(RuntimeError, match="simulated"):
        orchestration.execute(settings, run_id, orchestration.RunPlan(kind="load"), stages)
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        rows = con.execute("select run_id, kind, status, error from runs").fetchall()
    assert len(rows) == 1 and rows[0][:3] == (run_id, "load", "failed") and "simulated load failure" in rows[0][3]


def test_a_load_run_is_recorded_with_its_exit_code(tmp_path: Path) -> None:
    run_id = "20260101T000000Z-0002"
    settings = load_settings(home=_processed_home(tmp_path, run_id))
    summary = orchestration.execute(settings, run_id, orchestration.RunPlan(kind="load"), orchestration.plain_stages())
    assert summary["load"]["posts"] == 6 and summary["exit_code"] in (0, 3)
    assert (summary["exit_code"] == 3) == bool(summary["stage_errors"])
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        rows = con.execute("select status from runs").fetchall()
        posts = con.execute("select count(*) from posts").fetchone()[0]
    assert rows == [(summary["status"],)] and posts == 6
