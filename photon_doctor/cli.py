"""The command line: one typer app, one place where errors become messages and exit codes.

stdout carries results (tables, JSON); stderr carries the conversation (questions, progress, warnings, errors).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from photon_doctor import __version__
from photon_doctor.environment import configure, emit_json, note, print_result, say, terminal_width
from photon_doctor.foundation.errors import ExitCode, Interrupted, PhotonDoctorError, SessionError, UsageError

app = typer.Typer(
    name="photon-doctor",
    help="Find out why a Particle Photon will not reach the cloud, rank the causes, fix them, and explain why.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
kb_app = typer.Typer(help="Inspect and check the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

_state: dict[str, Any] = {"knowledge": None, "traceback": False, "verbose": False, "quiet": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"photon-doctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    knowledge: Path | None = typer.Option(
        None, "--knowledge", envvar="PHOTON_DOCTOR_KNOWLEDGE", help="Use the knowledge files in this folder."
    ),
    traceback: bool = typer.Option(False, "--traceback", help="Show the Python traceback of an error."),
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Show the version."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show the knowledge's ids and sources."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Say only what matters: results, questions, errors."
    ),
) -> None:
    _state["knowledge"] = knowledge
    _state["traceback"] = traceback
    _state["verbose"] = verbose
    _state["quiet"] = quiet
    configure(quiet=quiet, verbose=verbose)


def load_kb() -> Any:
    from photon_doctor.knowledge.loader import load_knowledge

    return load_knowledge(_state["knowledge"])


#: Consent, the same for `diagnose` and `demo` (docs/fixes.md): --yes never covers a fix that erases data or
#: cannot be undone; each of those has its own flag.
YES_OPTION = typer.Option(
    False,
    "--yes",
    "-y",
    help="Consent to harmless fixes and settings changes that can be undone; nothing more.",
)
ALLOW_ERASE_OPTION = typer.Option(
    False,
    "--allow-erase",
    help="Also consent to fixes that erase data (flash Tinker, reset keys, ...), and to what --yes covers.",
)
ALLOW_IRREVERSIBLE_OPTION = typer.Option(
    False,
    "--allow-irreversible",
    help="Also consent to fixes that cannot be undone (Device OS update, claim), and to what --yes covers.",
)


# ---------------------------------------------------------------------------------------------- diagnose
@app.command()
def diagnose(
    answer: list[str] = typer.Option(
        [], "--answer", "-a", help="An answer given up front: id=value (repeatable)."
    ),
    answers: Path | None = typer.Option(None, "--answers", help="A JSON file of id -> value answers."),
    no_input: bool = typer.Option(
        False, "--no-input", help="Never ask; diagnose from what is given and probed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the diagnosis as one JSON object on stdout."),
    auto: bool = typer.Option(
        False,
        "--auto",
        help="Probe the device, its access point, the cloud and the host without asking first.",
    ),
    no_probe: bool = typer.Option(
        False, "--no-probe", help="Do not look for a Photon on USB, a login or the network; only ask."
    ),
    port: str | None = typer.Option(None, "--port", help="Serial port or pyserial URL of the device."),
    softap_url: str | None = typer.Option(
        None,
        "--softap-url",
        help="Probe the device's SoftAP at this URL (http://192.168.0.1 once you joined its Photon-XXXXXX Wi-Fi).",
    ),
    api_url: str | None = typer.Option(None, "--api-url", help="Particle cloud API URL."),
    token: str | None = typer.Option(None, "--token", help="Particle access token (never printed)."),
    device_id: str | None = typer.Option(None, "--device", help="Device id, when several are around."),
    ssid: str | None = typer.Option(None, "--ssid", help="The Wi-Fi network the device should join."),
    probe_timeout: float = typer.Option(8.0, "--probe-timeout", help="Seconds each probe may take."),
    connectivity_url: str | None = typer.Option(
        None, "--connectivity-url", help="Captive-portal check URL (default: Android's generate_204)."
    ),
    cloud_endpoint: str | None = typer.Option(
        None, "--cloud-endpoint", help="HOST:PORT of the device cloud to test (default device.spark.io:5683)."
    ),
    fix: bool = typer.Option(False, "--fix", help="After the diagnosis, carry out the fixes (with consent)."),
    yes: bool = YES_OPTION,
    allow_erase: bool = ALLOW_ERASE_OPTION,
    allow_irreversible: bool = ALLOW_IRREVERSIBLE_OPTION,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the fix plan and exact commands; change nothing."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the last saved session."),
) -> None:
    """Diagnose interactively: one question at a time, the most useful first; then the ranked causes and fixes."""
    from photon_doctor.bootstrap import run
    from photon_doctor.config import DiagnoseOptions, Output

    if resume:
        from photon_doctor.sessions import read_session

        path, saved = read_session(load_kb())
        if saved.scenario is not None:
            # A demo session: it goes on against a fresh simulated Photon, never a real one.
            from photon_doctor.plain import clipped
            from photon_doctor.simulator.scenarios import scenario_names

            if saved.scenario not in scenario_names():  # the file's doing, not the command line's
                raise SessionError(
                    f"{path}: the demo scenario '{clipped(saved.scenario)}' it was saved with is not one this "
                    f"version has ({', '.join(scenario_names())})"
                )
            _run_demo(
                saved.scenario,
                no_input=no_input,
                as_json=as_json,
                fix=fix,
                yes=yes,
                allow_erase=allow_erase,
                allow_irreversible=allow_irreversible,
                dry_run=dry_run,
                resume=True,
                session_path=path,
            )
            return
    options = DiagnoseOptions(
        answers=tuple(answer),
        answers_file=answers,
        no_input=no_input,
        output=Output.JSON if as_json else Output.TEXT,
        auto=auto,
        no_probe=no_probe,
        port=port,
        softap_url=softap_url,
        api_url=api_url,
        token=token,
        device_id=device_id,
        ssid=ssid,
        probe_timeout=probe_timeout,
        connectivity_url=connectivity_url,
        cloud_endpoint=cloud_endpoint,
        fix=fix,
        yes=yes,
        allow_erase=allow_erase,
        allow_irreversible=allow_irreversible,
        dry_run=dry_run,
        resume=resume,
        verbose=_state["verbose"],
        quiet=_state["quiet"],
    )
    raise typer.Exit(run(load_kb(), options))


# ---------------------------------------------------------------------------------------------- demo
@app.command()
def demo(
    scenario: str | None = typer.Option(
        None, "--scenario", "-s", help="Fault scenario (default: the thread's dented photon)."
    ),
    list_scenarios: bool = typer.Option(False, "--list-scenarios", help="List the scenarios, one a line."),
    no_input: bool = typer.Option(False, "--no-input", help="Answer with the scenario's answers; never ask."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    fix: bool = typer.Option(
        False, "--fix", help="Carry out the fixes on the simulated Photon (with consent)."
    ),
    yes: bool = YES_OPTION,
    allow_erase: bool = ALLOW_ERASE_OPTION,
    allow_irreversible: bool = ALLOW_IRREVERSIBLE_OPTION,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the fix plan and exact commands; change nothing."
    ),
) -> None:
    """Diagnose a simulated Photon that speaks the real protocols: no hardware needed."""
    from photon_doctor.simulator.scenarios import DEFAULT_SCENARIO, SCENARIOS

    if list_scenarios:
        if as_json:
            emit_json(
                [{"name": s.name, "description": s.description, "causes": list(s.causes)} for s in SCENARIOS]
            )
        else:
            width = max(len(s.name) for s in SCENARIOS)
            print_result("\n".join(f"{s.name:{width}}  {s.description}" for s in SCENARIOS))
        return
    _run_demo(
        scenario or DEFAULT_SCENARIO,
        no_input=no_input,
        as_json=as_json,
        fix=fix,
        yes=yes,
        allow_erase=allow_erase,
        allow_irreversible=allow_irreversible,
        dry_run=dry_run,
    )


def _run_demo(scenario: str, *, as_json: bool, **choices: Any) -> None:
    """Run ``scenario`` on a fresh simulated Photon; ``choices`` are DiagnoseOptions fields (resume included)."""
    from photon_doctor.simulator.scenarios import get_scenario

    try:
        chosen = get_scenario(scenario)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    from photon_doctor.bootstrap import run
    from photon_doctor.config import DiagnoseOptions, Output, Simulated

    options = DiagnoseOptions(
        auto=True,
        target=Simulated(chosen.name),
        title="demo",
        output=Output.JSON if as_json else Output.TEXT,
        verbose=_state["verbose"],
        quiet=_state["quiet"],
        **choices,
    )
    raise typer.Exit(run(load_kb(), options))


@app.command()
def simulate(
    scenario: str = typer.Option("thread-dented-photon", "--scenario", "-s", help="Fault scenario."),
    seconds: float = typer.Option(0.0, "--seconds", help="Stop after this long (0: until Ctrl-C)."),
    fault: list[str] = typer.Option(
        [],
        "--fault",
        help="Make a part misbehave, PART=KIND (repeatable): cloud=429|500|truncated|slow|huge|hang, "
        "serial=garbage|silent|unplug, softap=close|hang|garbage|truncated (docs/reliability.md).",
    ),
    fleet: int = typer.Option(0, "--fleet", help="Serve a simulated fleet of this many devices instead."),
    seed: int = typer.Option(1, "--seed", help="With --fleet: the seed of the fleet's planted causes."),
    rate: float = typer.Option(500.0, "--rate", help="With --fleet: requests per second before 429s."),
) -> None:
    """Run a simulated Photon (or, with --fleet, a simulated fleet's cloud) in the foreground."""
    import time

    from photon_doctor.simulator.faults import FAULTS, apply_faults, parse_faults

    try:
        faults = parse_faults(fault)
    except ValueError as exc:
        raise UsageError(f"--fault: {exc}") from None
    if fleet:
        from photon_doctor.fleet import serve_simulated_fleet

        # The simulated fleet is a cloud and nothing else: a device's fault would be ignored without a word.
        for f in faults:
            if f.part != "cloud":
                raise UsageError(
                    f"--fault {f}: the simulated fleet is only a cloud API; "
                    f"its faults are cloud={'|'.join(FAULTS['cloud'])}"
                )
        serve_simulated_fleet(fleet, seed, seconds, rate, faults)
        return
    from photon_doctor.plain import tag
    from photon_doctor.simulator.photon import SimulatedPhoton
    from photon_doctor.simulator.scenarios import get_scenario

    try:
        chosen = get_scenario(scenario)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    sim_photon = SimulatedPhoton(chosen)
    apply_faults(sim_photon, faults)
    with sim_photon as sim:
        ep = sim.endpoints()
        # The simulator's token opens only this simulated cloud, so it is shown: tools need it.
        kb = load_kb()
        causes = "; ".join(kb.causes[c].title + tag(c, bool(_state["verbose"])) for c in chosen.causes)
        lines = [
            f"scenario:      {chosen.name} ({causes})",
            f"serial port:   {ep.serial_port}   (listening-mode console; 28800 baud: listen, 14400: DFU)",
            f"softap http:   {ep.softap_url}   (the device's {ep.softap_ssid} access point)",
            f"softap tcp:    {ep.softap_tcp[0]}:{ep.softap_tcp[1]}",
            f"cloud api:     {ep.api_url}",
            f"token:         {ep.token}",
            f"device id:     {ep.device_id}",
            f"connectivity:  {ep.connectivity_url}",
            f"device cloud:  {ep.cloud_host}:{ep.cloud_port}",
            *[f"fault:         {f} ({f.description})" for f in faults],
            "",
            "Try (in another terminal):",
            f"  photon-doctor diagnose --auto --port {ep.serial_port} --softap-url {ep.softap_url} \\",
            f"    --api-url {ep.api_url} --token {ep.token} \\",
            f"    --connectivity-url {ep.connectivity_url} --cloud-endpoint {ep.cloud_host}:{ep.cloud_port} \\",
            f"    --ssid '{chosen.ssid}'",
            "Ctrl-C stops the simulator.",
        ]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        deadline = time.monotonic() + seconds if seconds > 0 else None
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            say("simulator stopped")


# ---------------------------------------------------------------------------------------------- fleet
@app.command()
def fleet(
    product: str | None = typer.Option(
        None, "--product", help="A product id or slug (default: your account's devices)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as one JSON object (docs/fleet.md)."
    ),
    as_csv: bool = typer.Option(False, "--csv", help="Print one CSV row per device."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write the report as an HTML page to this file (private: 0600)."
    ),
    from_file: Path | None = typer.Option(
        None, "--from", help="Read device records from a JSONL file, not the cloud."
    ),
    dask: str | None = typer.Option(
        None, "--dask", help="Diagnose on this Dask scheduler (tcp://HOST:8786)."
    ),
    api_url: str | None = typer.Option(None, "--api-url", help="Particle cloud API URL."),
    token: str | None = typer.Option(None, "--token", help="Particle access token (never printed)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted fetch from its checkpoint."),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="Keep fetched devices in this JSONL file."
    ),
    in_flight: int = typer.Option(8, "--in-flight", help="Most requests to the cloud at a time (1-64)."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Judge 'offline for how long' as of this ISO 8601 time "
        "(for an export taken earlier; default: now).",
    ),
) -> None:
    """Diagnose every device of an account or product: who is offline, the likely causes, who needs a visit."""
    from photon_doctor.fleet import FleetOptions, run_fleet, stderr_is_terminal, terminal_progress
    from photon_doctor.fleet_records import RecordError, parse_time

    if as_json and as_csv:
        raise UsageError("choose one of --json and --csv")
    try:
        now = parse_time(as_of)
    except RecordError:
        raise UsageError(
            f"--as-of expects an ISO 8601 time such as 2026-12-01T14:00:00Z, got '{as_of}'"
        ) from None
    options = FleetOptions(
        product=product,
        from_file=from_file,
        dask=dask,
        api_url=api_url,
        token=token,
        resume=resume,
        checkpoint=checkpoint,
        in_flight=in_flight,
        knowledge_dir=_state["knowledge"],
        now=now,
    )
    kb = load_kb()
    with terminal_progress(stderr_is_terminal()) as progress:
        run = run_fleet(kb, options, os.environ, progress)
    from photon_doctor.fleet_summary import summary_html, summary_text, write_csv, write_json

    if html is not None:
        from photon_doctor.sessions import write_private

        # Device names and ids: private (0600), and replaced whole, as `report -o` is.
        write_private(html, summary_html(run.report, run.names()), UsageError, "the HTML report")
        say(f"HTML report written to {html}")
    if now is not None:
        # An --as-of before the devices were last heard (a wrong year, a date without its time) counts every such
        # device as offline for no time at all: "under an hour 100 %" with nothing to say it was the date.
        later = sum(1 for d in run.devices if d.last_heard is not None and d.last_heard > now + 60)
        if later:
            from photon_doctor.plain import counted

            say(
                f"{counted(later, 'device')} {'was' if later == 1 else 'were'} last heard after --as-of {as_of}: "
                "their time offline counts as none (--as-of is when the export was taken, after every "
                "device's last_heard)"
            )
    source = run.report["source"]
    if source.get("bad_lines"):
        first = source["first_bad_lines"][0]
        from photon_doctor.plain import counted

        skipped = counted(source["bad_lines"], "bad line")
        say(f"skipped {skipped}; the first is line {first['line']}: {first['reason']}")
    if source.get("vitals_missing"):
        # Said here too, not only in --json: a report whose causes lack the vitals reads as if it had them.
        missing, total = source["vitals_missing"], run.report["devices"]["total"]
        skipped = source.get("vitals_skipped", 0)
        how = (
            f"the cloud failed the vitals of {missing - skipped:,} devices in a row, after retries, so it was not "
            f"asked for the other {skipped:,}"
            if skipped
            else "the cloud answered with an error or 429 every time it was asked"
        )
        say(
            f"no vitals for {missing:,} of {total:,} devices ({how}): they are diagnosed from whether they are "
            "online and when they were last heard only"
        )
    if as_json:
        write_json(run.report, run.rows(), sys.stdout)
    elif as_csv:
        write_csv(kb, run.rows(), sys.stdout)
    else:
        from photon_doctor.plain import wrap_lines

        # Wrapped here, so that a cause's list of devices goes on under its title, not at the screen's edge.
        print_result(wrap_lines(summary_text(run.report).splitlines(), terminal_width(sys.stdout)))


# ---------------------------------------------------------------------------------------------- why
@app.command()
def why(
    target: str = typer.Argument(
        ...,
        metavar="WHAT",
        help="A plan step's number (2), words of a fix's, cause's or question's title (\"static ip\"), or an id.",
    ),
    session: Path | None = typer.Option(
        None, "--session", help="A saved session file (default: the last one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Explain a saved diagnosis: HOW a cause was concluded, WHY a fix is where it is, WHY a question matters."""
    from photon_doctor.engine.diagnosis import diagnose as run_core
    from photon_doctor.engine.explain import how_cause, why_fix, why_question
    from photon_doctor.plain import (
        NoSuchTarget,
        TargetKind,
        find_target,
        how_cause_text,
        why_fix_text,
        why_question_text,
    )
    from photon_doctor.sessions import read_session

    kb = load_kb()
    path, saved = read_session(kb, session)
    note(f"(from the session {path})")
    observations = saved.observed()
    d = run_core(kb, observations)
    try:
        found = find_target(kb, d, target)
    except NoSuchTarget as exc:
        raise UsageError(str(exc)) from None
    verbose = bool(_state["verbose"])
    if found.kind is TargetKind.FIX:
        result = why_fix(kb, d, found.id)
        text = why_fix_text(kb, d, result, verbose, steps=True)
        carried = [a for a in saved.actions if a.get("fix") == found.id]
        if carried:
            from photon_doctor.plain import carried_out_text

            result["carried_out"] = [
                {"result": a.get("result"), "verified_connected": a.get("verified_connected")}
                for a in carried
            ]
            title, _, rest = text.partition("\n")
            text = f"{title}\n  {carried_out_text(carried[-1], saved.outcome)}\n{rest}"
    elif found.kind is TargetKind.CAUSE:
        result = how_cause(kb, d, found.id)
        text = how_cause_text(kb, d, result, verbose)
    else:
        result = why_question(kb, observations, d, found.id)
        known = observations.get(found.id)
        answered = known.value if known is not None else None
        source = known.provenance.source if known is not None else None
        text = why_question_text(kb, d, result, answered, verbose, source, asking=False)
    if as_json:
        from photon_doctor.output import explanation_json

        doc = explanation_json(result)
        emit_json({"schema_version": doc.pop("schema_version"), "session": str(path), **doc})
    else:
        from photon_doctor.plain import wrap_lines

        print_result(wrap_lines(text.splitlines(), terminal_width(sys.stdout)))


# ---------------------------------------------------------------------------------------------- evaluate
@app.command()
def evaluate(
    files: list[Path] = typer.Argument(..., help="Case files (see docs/cases.md)."),
    interactive: bool = typer.Option(False, "--interactive", help="Start from nothing; an oracle answers."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    strict: bool = typer.Option(
        False, "--strict", help="Exit 8 if any case's expected cause is not ranked first."
    ),
    explain_misses: bool = typer.Option(
        False, "--explain-misses", help="For each miss, the priors and rules that lifted the wrong cause."
    ),
    leave_one_out: bool = typer.Option(
        False, "--leave-one-out", help="Score each real case with base rates that do not count that case."
    ),
) -> None:
    """Measure the knowledge base on case files: top-1/top-3, questions asked, where the working fix comes."""
    from photon_doctor.evaluate import evaluate as run_eval
    from photon_doctor.evaluate import evaluation_text, load_cases, misses_text
    from photon_doctor.evaluate import explain_misses as blame

    kb = load_kb()
    cases = load_cases(kb, list(files))
    if explain_misses:
        misses = blame(kb, cases, interactive, leave_one_out)
        if as_json:
            emit_json({"schema_version": 1, "misses": misses})
        else:
            print_result(misses_text(misses))
        if strict and misses:
            raise typer.Exit(ExitCode.EVALUATION_MISS)
        return
    result = run_eval(kb, cases, interactive, leave_one_out)
    if as_json:
        emit_json(result)
    else:
        print_result(evaluation_text(result))
    if strict and any(r["expected_cause_rank"] != 1 for r in result["cases"]):
        raise typer.Exit(ExitCode.EVALUATION_MISS)


# ---------------------------------------------------------------------------------------------- kb
@kb_app.command("show")
def kb_show(as_json: bool = typer.Option(False, "--json", help="Print the knowledge base as JSON.")) -> None:
    """Print the validated knowledge base: observations, causes, rules, fixes."""
    from photon_doctor.knowledge_export import knowledge_json, knowledge_text

    kb = load_kb()
    if as_json:
        emit_json(knowledge_json(kb))
    else:
        print_result(knowledge_text(kb))


# ---------------------------------------------------------------------------------------------- graph, check
@app.command("graph")
def graph_command(
    fmt: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help="dot, graphml, json, mermaid, svg, png or html (default: from --output's suffix, else dot).",
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file (png needs one)."),
    cause: str | None = typer.Option(None, "--cause", help="Only what leads to this cause and its fixes."),
    fix: str | None = typer.Option(None, "--fix", help="Only what leads to this fix."),
    observation: str | None = typer.Option(
        None, "--observation", help="Only what follows from this observation."
    ),
    session: Path | None = typer.Option(
        None, "--session", help="Highlight what this saved session saw and concluded."
    ),
    last_session: bool = typer.Option(False, "--last-session", help="Highlight the last saved session."),
) -> None:
    """Draw the rule graph: observations -> values -> rules -> causes -> fixes (docs/rule-graph.md)."""
    from photon_doctor.graphing import GraphOptions, run_graph

    options = GraphOptions(
        fmt=fmt,
        output=output,
        cause=cause,
        fix=fix,
        observation=observation,
        session=session,
        last_session=last_session,
    )
    raise typer.Exit(run_graph(load_kb(), options))


@kb_app.command("check")
def kb_check(
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too; subsumed rules are errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
) -> None:
    """Lint the knowledge base: unreachable or unfixable causes, dead, redundant or conflicting rules."""
    from photon_doctor.graphing import run_kb_check

    raise typer.Exit(run_kb_check(load_kb(), strict=strict, as_json=as_json))


# ---------------------------------------------------------------------------------------------- report
@app.command()
def report(
    session: Path | None = typer.Argument(
        None, metavar="SESSION", help="A saved session file (default: the last one)."
    ),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="md, html or json (default: from --output's suffix, else md)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file (private: 0600)."),
) -> None:
    """A shareable report of a saved session: the likely cause, what to do next, and the evidence.

    Tokens, Wi-Fi passwords and claim codes are redacted."""
    from photon_doctor.report import run_report

    text, path = run_report(load_kb(), session, fmt, output, os.environ)
    note(f"(from the session {path})")
    if output is not None:
        say(f"report written to {output}")
    else:
        # Written as is (not through rich): a pasted report must keep its table rows and code blocks whole.
        sys.stdout.write(text)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; the one place where our errors become a message on stderr and an exit code.

    typer (standalone mode) reports its own usage errors with exit code 2.
    """
    try:
        _main(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        # Ctrl-C while an error's or an interruption's message was being written: the exit code says it all.
        sys.exit(int(ExitCode.INTERRUPTED))


def _main(args: list[str]) -> None:
    try:
        from photon_doctor.helptypes import command

        command(app)(args=args, prog_name="photon-doctor")
    except PhotonDoctorError as exc:
        if _state["traceback"] or "--traceback" in args:
            raise
        from photon_doctor.foundation.redact import redact

        say(f"photon-doctor: {redact(exc.message)}")
        sys.exit(int(exc.exit_code))
    except (KeyboardInterrupt, EOFError):
        say("photon-doctor: interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    except SystemExit as exc:
        # typer turns a Ctrl-C that no command handled into a silent exit 130 (typer.Exit(130) raised from the
        # KeyboardInterrupt); say so, as for any other interruption. A command that returns 130 itself has said why.
        stopped = exc.__context__
        if exc.code == int(ExitCode.INTERRUPTED) and isinstance(
            getattr(stopped, "__cause__", None), KeyboardInterrupt
        ):
            say("photon-doctor: interrupted")
        raise
    except Exception as exc:  # the last line of defence: a bug becomes a report, not a traceback
        if _state["traceback"] or "--traceback" in args:
            raise
        from photon_doctor import sessions
        from photon_doctor.bugreport import crash_message, write_bug_report

        say(f"photon-doctor: {crash_message(exc, write_bug_report(exc, args), sessions.last_saved)}")
        sys.exit(int(ExitCode.INTERNAL))


__all__ = ["Interrupted", "app", "main"]
