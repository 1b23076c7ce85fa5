"""pcp schema: the published Table Schema of a command's rows."""

from __future__ import annotations

import json

import click

from pcp_cli.cli.output import write_stdout
from pcp_cli.schemas import COMMANDS, table_schema


@click.command()
@click.argument("command", type=click.Choice(COMMANDS))
def schema(command: str) -> None:
    """Print the Frictionless Table Schema (JSON) of COMMAND's rows.

    \b
    The same whatever --kpi or --force: the CSV header of COMMAND equals the field
    names, in order. periods-sources is `pcp periods --sources`. See docs/schemas.md.

    \b
    Examples:
      pcp schema compare
      pcp schema rank > rank.schema.json
    """
    text = json.dumps(table_schema(command), indent=1, ensure_ascii=False) + "\n"
    write_stdout(text.encode("utf-8"))
