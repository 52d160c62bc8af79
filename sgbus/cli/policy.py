"""``sgbus policy``: show the shipped presets and check operator policy files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sgbus.bus.policy import PRESETS, Policy, Rule, load_policy_file, load_preset
from sgbus.bus.regions import SHIPPED_MAPS, Regions, is_policy_map, load_regions
from sgbus.cli import app
from sgbus.cli._errors import user_errors
from sgbus.cli.deadline import policy_for_region

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


def _claiming(policy: Policy) -> str:
    """How departments claim approval results under ``policy``, with its source."""
    if policy.claims_on_delivery:
        return f"claim on delivery (推送即认领, {policy.claim_mode_source})"
    return "explicit claim (认领)"


def policy_table(policy: Policy) -> Table:
    """One row per rule: who owes what, by when, and what happens at expiry."""
    table = Table(
        title=f"{policy.name}: {policy.title}",
        caption=f"region {policy.region or '-'};"
        f" 及时 = {policy.promptly_working_days} WD by default;"
        f" {_claiming(policy)};"
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
        # The document is in the caption's title; the column shows the article.
        article = rule.source.removeprefix(policy.source).strip() or rule.source
        table.add_row(rule.flow.value, owes, _period(rule, policy), expiry, article)
    return table


def map_table(regions: Regions) -> Table:
    """One row per entry of a policy map: region, policy, catalogue, own calendar files."""
    table = Table(
        title=f"{regions.name}: {regions.title}",
        caption="a region follows its county's entry, else its city's (4 digits + 00),"
        " else its province's (2 digits + 0000); `policy show NAME --region CODE` shows one",
    )
    for column in ("region", "name", "policy", "catalogue", "calendar"):
        table.add_column(column, overflow="fold")
    for j in regions.jurisdictions:
        cat = j.catalogue.name + (" (sample)" if j.catalogue.sample else "")
        calendar = "\n".join(str(p) for p in j.calendar_files) or "national"
        table.add_row(j.label, j.name, j.policy.name, cat, calendar)
    return table


@policy_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="preset name, policy YAML, or policy map")],
    region: Annotated[
        str | None, typer.Option(help="with a policy map: show the policy of this region code")
    ] = None,
) -> None:
    """Print a policy's rules as a table (a policy map's entries, or one region's rules)."""
    with user_errors():
        if region is None and is_policy_map(name):
            Console().print(map_table(load_regions(name)))
            return
        policy, entry = policy_for_region(name, region)
    table = policy_table(policy)
    if entry is not None:
        table.title = f"{table.title}\nregion {region} → entry {entry.label} {entry.name} of {name}"
    Console().print(table)


@policy_app.command("list")
def list_presets() -> None:
    """List the shipped presets and policy maps."""
    table = Table(title="policy presets")
    for column in ("name", "title", "region", "flows"):
        table.add_column(column)
    for name in PRESETS:
        policy = load_preset(name)
        table.add_row(name, policy.title, policy.region or "-", str(len(policy.rules)))
    Console().print(table)
    maps = Table(title="policy maps (one bus, several regions)")
    for column in ("name", "title", "regions"):
        maps.add_column(column)
    for name in SHIPPED_MAPS:
        regions = load_regions(name)
        maps.add_row(name, regions.title, regions.coverage())
    Console().print(maps)


@policy_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="policy YAML file")]) -> None:
    """Check an operator policy file; print its rules, or the problems with their lines."""
    with user_errors():
        policy = load_policy_file(file)
    Console().print(policy_table(policy))
    typer.echo(f"{file}: valid policy {policy.name!r} with {len(policy.rules)} rules")
