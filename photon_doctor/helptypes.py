"""Help that reads cleanly: typer 0.2x shows flags as ``<bool>`` and lists as ``<list[str]>``; this gives each
option the metavar a person expects (none for a flag, ``TEXT``, ``PATH``, ``SECONDS``, ``N``) before the command
runs. Duck-typed on click's parameter attributes, since typer may carry its own copy of click."""

from __future__ import annotations

from typing import Any

import typer

#: Metavars by the annotated type's name; a repeatable option says so.
_NAMES = {"str": "TEXT", "float": "NUMBER", "int": "N", "Path": "PATH", "bool": ""}


def _metavar(param: Any) -> str:
    desc = getattr(param, "type_descriptor", None)
    annotation = getattr(desc, "annotation", str)
    if getattr(desc, "is_list", False):
        args = getattr(annotation, "__args__", (str,))
        annotation = args[0] if args else str
    type_name = getattr(annotation, "__name__", str(annotation))
    name = "PATH" if getattr(desc, "is_path", False) else _NAMES.get(type_name, type_name.upper())
    if param.name and ("timeout" in param.name or param.name == "seconds"):
        name = "SECONDS"
    repeat = getattr(desc, "is_list", False) and "repeatable" not in (getattr(param, "help", "") or "")
    return f"{name} (repeatable)" if repeat else name


def _clean(command: Any) -> None:
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            param.metavar = "" if param.is_flag or getattr(param, "count", False) else _metavar(param)
        elif getattr(param, "param_type_name", "") == "argument":
            param.display_type_rich = lambda ctx: None  # the name (SESSION, FILES) says enough
    plain_help = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = plain_help(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _clean(sub)


def command(app: typer.Typer) -> Any:
    """The click command of ``app`` with clean help types; call it as typer's ``app(...)`` would be called."""
    cmd = typer.main.get_command(app)
    _clean(cmd)
    return cmd
