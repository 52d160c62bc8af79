"""``sgbus policy``: show the shipped presets and check operator policy files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sgbus.bus.policy import PRESETS, Policy, Rule, load_policy, load_policy_file, load_preset
from sgbus.cli import app
from sgbus.cli._errors import user_errors

policy_app = typer.Typer(
    help="Deadline policies: presets per seed city and operator files.", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")


def _period(rule: Rule, policy: Policy) -> str:
    days = rule.days(policy.promptly_working_days)
    text = f"{days} WD {'before' if rule.before else 'after'} {rule.anchor.value}"
    if rule.promptly_default:
        text = f"及时 → {text} (default)"
    if rule.remind_before_working_days:
        text += f"\nremind {rule.remind_before_working_days} WD ahead"
    return text


def policy_table(policy: Policy) -> Table:
    """One row per rule: who owes what, by when, and what happens at expiry."""
    table = Table(
        title=f"{policy.name}: {policy.title}",
        caption=f"region {policy.region or '-'};"
        f" 及时 = {policy.promptly_working_days} WD by default;"
        " WD = working days, the day of the event not counted",
    )
    for column in ("flow", "obligation", "period", "at expiry", "source"):
        table.add_column(column, overflow="fold", no_wrap=column == "flow")
    for rule in policy.effective_rules:
        expiry = rule.at_expiry.value + (
            f"\n→ {rule.escalate_to_party or (rule.escalate_to.value if rule.escalate_to else '')}"
            if rule.escalate_to or rule.escalate_to_party
            else ""
        )
        owes = f"{rule.debtor.value} owes {rule.creditor.value}\n{rule.answer}"
        if rule.answer != rule.request:
            owes += f" for {rule.request}"
        table.add_row(
            rule.flow.value, owes, _period(rule, policy), expiry, rule.source.split(" ", 1)[-1]
        )
    return table


@policy_app.command("show")
def show(name: Annotated[str, typer.Argument(help="preset name or YAML file")]) -> None:
    """Print a policy's rules as a table."""
    with user_errors():
        policy = load_policy(name)
    Console().print(policy_table(policy))


@policy_app.command("list")
def list_presets() -> None:
    """List the shipped presets."""
    table = Table(title="policy presets")
    for column in ("name", "title", "region", "flows"):
        table.add_column(column)
    for name in PRESETS:
        policy = load_preset(name)
        table.add_row(name, policy.title, policy.region or "-", str(len(policy.rules)))
    Console().print(table)


@policy_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="policy YAML file")]) -> None:
    """Check an operator policy file; print its rules, or the problems with their lines."""
    with user_errors():
        policy = load_policy_file(file)
    Console().print(policy_table(policy))
    typer.echo(f"{file}: valid policy {policy.name!r} with {len(policy.rules)} rules")
