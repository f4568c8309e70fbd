"""The shell side of ``photon-doctor graph`` and ``photon-doctor kb check``: options in; output and an exit
code out.

The graph, its exports and the lint are pure (:mod:`photon_doctor.graph`); reading sessions, choosing what to
show, and writing to stdout or a file happen here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from photon_doctor.foundation.errors import ExitCode, UsageError
from photon_doctor.knowledge.model import KnowledgeBase


@dataclass
class GraphOptions:
    """What ``photon-doctor graph`` was asked for."""

    fmt: str | None = None
    output: Path | None = None
    cause: str | None = None
    fix: str | None = None
    observation: str | None = None
    session: Path | None = None
    last_session: bool = False


def choose_format(fmt: str | None, output: Path | None) -> str:
    """The format asked for, else the one the output file's suffix names, else ``dot``.

    Raises UsageError for an unknown format or a binary format without ``--output``.
    """
    from photon_doctor.graph.export import BINARY_FORMATS, FORMATS, SUFFIXES

    if fmt is None:
        suffix = output.suffix.lower() if output is not None else ""
        if suffix not in SUFFIXES and suffix not in ("", ".txt"):
            # A name such as graph.pdf asks for a format this cannot draw: dot text in it would not open.
            raise UsageError(
                f"cannot write a {suffix} file: give --format ({', '.join(FORMATS)}) "
                "or a file name ending in one of them"
            )
        fmt = SUFFIXES.get(suffix, "dot")
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown graph format '{fmt}'; expected one of: {', '.join(FORMATS)}")
    if fmt in BINARY_FORMATS and output is None:
        raise UsageError(f"--format {fmt} writes binary data: give a file with --output")
    return fmt


def focus_node(kb: KnowledgeBase, options: GraphOptions) -> str | None:
    """The node to centre the graph on (``--cause``, ``--fix`` or ``--observation``), or None for all of it.

    Raises UsageError for more than one of them, or an unknown id (the message lists the valid ones).
    """
    from photon_doctor.graph.build import cause_node, fix_node, obs_node

    given = [
        (flag, value, ids, make)
        for flag, value, ids, make in (
            ("--cause", options.cause, kb.causes, cause_node),
            ("--fix", options.fix, kb.fixes, fix_node),
            ("--observation", options.observation, kb.observations, obs_node),
        )
        if value is not None
    ]
    if len(given) > 1:
        flags = ", ".join(g[0] for g in given)
        raise UsageError(f"give at most one of --cause, --fix, --observation (got {flags})")
    if not given:
        return None
    flag, value, ids, make = given[0]
    if value not in ids:
        noun = flag.lstrip("-")
        raise UsageError(f"unknown {noun} id '{value}'; valid {noun} ids: {', '.join(sorted(ids))}")
    return make(value)


def session_graph(g: nx.DiGraph, options: GraphOptions) -> nx.DiGraph:
    """``g`` highlighted with the session asked for (``--session FILE`` or ``--last-session``), if any.

    Raises UsageError when both are given and SessionError when the session cannot be read.
    """
    if options.session is not None and options.last_session:
        raise UsageError("give --session FILE or --last-session, not both")
    if options.session is None and not options.last_session:
        return g
    from photon_doctor.environment import note
    from photon_doctor.graph.build import highlight
    from photon_doctor.sessions import read_session

    # Not checked against the knowledge: ids the graph lacks are listed, not refused.
    path, saved = read_session(None, options.session)
    note(f"(from the session {path})")
    h = highlight(g, saved.to_json())
    if h.graph.get("missing"):
        _say(f"photon-doctor: session {path} names ids this graph lacks (ignored): {h.graph['missing']}")
    h.graph["session"] = str(path)
    return h


def run_graph(kb: KnowledgeBase, options: GraphOptions) -> int:
    """Build, filter, highlight and write the rule graph; returns the exit code."""
    from photon_doctor.graph.build import build_graph, subgraph_around
    from photon_doctor.graph.export import export

    fmt = choose_format(options.fmt, options.output)
    focus = focus_node(kb, options)
    g = build_graph(kb)
    # Highlight the whole graph first, so a filtered view still marks what the session saw.
    g = session_graph(g, options)
    if focus is not None:
        g = subgraph_around(g, focus)
    data = export(g, fmt)
    if options.output is None:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
    else:
        from photon_doctor.sessions import write_private

        # whole or not at all (a Ctrl-C or a full disk leaves the old file): written beside it, then renamed
        write_private(options.output, data, UsageError, "the graph")
        _say(f"wrote {options.output} ({fmt}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges)")
    return int(ExitCode.OK)


def run_kb_check(kb: KnowledgeBase, *, strict: bool, as_json: bool) -> int:
    """Lint ``kb``, print the findings (text or JSON) on stdout; returns 0, or ExitCode.LINT if it failed."""
    from photon_doctor.graph.lint import lint, report_text

    report = lint(kb, strict=strict)
    if as_json:
        from photon_doctor.environment import emit_json

        emit_json(report.to_json())
    else:
        from photon_doctor.environment import print_result

        print_result(report_text(report, kb))
    return int(ExitCode.LINT) if report.failed else int(ExitCode.OK)


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
