"""Mutation testing, one mutant at a time: does some test fail when the code is wrong?

Each mutant is one small change to one module of the working tree (a comparison flipped, ``and``/``or`` swapped, a
``not`` dropped, a constant changed a little, ``+``/``-`` or ``*``/``/`` swapped, ``min``/``max`` swapped, a value
returned as None, a statement deleted; or an exact replacement from ``--extra``). The tests given run with ``-x``;
a mutant is killed when they fail (or time out). The module is written back after every mutant, also on Ctrl-C.
It changes files in place: never run two at once, nor tests beside it. docs/reliability.md has the last results.

  .venv/bin/python benchmarks/mutation.py list actions/consent.py
  .venv/bin/python benchmarks/mutation.py run actions/consent.py --tests "tests/unit/test_config.py" \
      [--funcs f,g] [--lines 10-40] [--ids 1,2] [--every 2] [--skip-kinds return,delassign] \
      [--extra manual.json] [--log out.jsonl]
  .venv/bin/python benchmarks/mutation.py run wifi_parsers      # a named target of TARGETS: module, tests, sample
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

CMP_SWAP = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
    ast.In: ("in", "not in"),
    ast.NotIn: ("not in", "in"),
    ast.Is: ("is", "is not"),
    ast.IsNot: ("is not", "is"),
}
BIN_SWAP = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*")}

_QUESTION_TESTS = " ".join(
    f"tests/unit/test_{n}.py"
    for n in (
        "question_choice question_value checklists observe engine interview_numbers terminal_hint "
        "fix_situations question_shapes"
    ).split()
)
#: The second round's targets (docs/reliability.md): module, the test files that cover it (the round's new ones
#: included), and the sample taken. Options given after the name override the target's.
TARGETS: dict[str, tuple[str, str, str]] = {
    "observe": ("engine/observe.py", "tests/unit/test_observe.py", ""),
    "questions": (
        "engine/questions.py",
        _QUESTION_TESTS,
        "--skip-kinds delassign --timeout 45 --funcs led_colour_of,question_def,_item_information,_around_version,"
        "answerability,settled_by_checklists,_checklist_value,next_question",
    ),
    "wifi_parsers": (
        "probes/wifi_parsers.py",
        "tests/unit/test_host_network_parsers.py tests/integration/test_host_network.py "
        "tests/integration/test_host_network_faults.py",
        "--skip-kinds delassign,return --every 2",
    ),
    "softap_data": (
        "probes/softap_data.py",
        "tests/unit/test_softap_data.py tests/integration/test_softap.py",
        "--skip-kinds delassign,return --every 3",
    ),
    "softap_client": (
        "probes/softap_client.py",
        "tests/unit/test_softap_data.py tests/integration/test_softap.py",
        "--funcs _snippet,_decode_reply,_check_r,version,device_id,public_key,check_text "
        "--skip-kinds delassign,return --every 3",
    ),
    "module_check": (
        "probes/module_check.py",
        "tests/unit/test_module_check.py",
        "--skip-kinds delassign,return --every 4",
    ),
    "serial_console": (
        "probes/serial_console.py",
        "tests/unit/test_diagnostic_signal.py tests/integration/test_serial_console.py",
        "--funcs rssi_from_diagnostics,_version_tuple,_details --skip-kinds delassign,return --every 3",
    ),
    "serial_client": (
        "probes/serial_client.py",
        "tests/integration/test_serial_console.py",
        "--funcs identity,mac,system_version,claimed,_json,_text,_next_prompt,_dialog,_unexpected "
        "--skip-kinds delassign,return --every 3",
    ),
    "cloud": (
        "probes/cloud.py",
        "tests/unit/test_diagnostic_signal.py tests/integration/test_cloud_api.py",
        "--funcs rssi_from_vitals,_device,_denied,_signal,_summary --skip-kinds delassign,return --every 3",
    ),
    "cloud_client": (
        "probes/cloud_client.py",
        "tests/integration/test_cloud_api.py tests/integration/test_cloud_body_faults.py",
        "--funcs _error_text,_http_error,_seconds,_object,_body,_why,check_api_url,_loopback,ping,vitals,"
        "create_claim_code --skip-kinds delassign,return --every 4",
    ),
    "host_network": (
        "probes/host_network.py",
        "tests/integration/test_host_network.py tests/integration/test_host_network_faults.py",
        "--funcs _band,_security,_portal,_port,read_wifi_link,_read_iw,_first_line --skip-kinds delassign,return "
        "--every 4",
    ),
    "answers": (
        "photon_doctor/answers.py",
        "tests/unit/test_answers.py tests/unit/test_bad_input.py tests/unit/test_checklists.py "
        "tests/unit/test_session.py",
        "--funcs parse_value,salvage_version,parse_assignment,load_answers_file,observations_from_mapping,lookup,"
        "json_text --skip-kinds delassign,return --every 3",
    ),
    "session": (
        "photon_doctor/session.py",
        "tests/unit/test_session.py tests/integration/test_session_files.py",
        "--funcs from_json,_object_or_none,_actions,_observations --skip-kinds delassign,return --every 2",
    ),
    "sessions": (
        "photon_doctor/sessions.py",
        "tests/unit/test_session.py tests/integration/test_session_files.py",
        "--funcs load_session,last_session_path,_saved_when,private_folder,writable_folder,make_private_dirs "
        "--skip-kinds delassign,return --every 2",
    ),
    "fleet_summary": (
        "photon_doctor/fleet_summary.py",
        "tests/unit/test_fleet_summary.py tests/unit/test_fleet_words.py",
        "--funcs summarise,_pct,_offline_hours,device_rows --skip-kinds delassign,return --every 3 --timeout 120",
    ),
}


class Src:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln))

    def off(self, line: int, col_bytes: int) -> int:
        ln = self.lines[line - 1]
        col = len(ln.encode()[:col_bytes].decode())
        return self.starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.off(node.lineno, node.col_offset), self.off(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def enclosing(tree: ast.AST) -> dict[int, str]:
    """line -> innermost function name."""
    owner: dict[int, str] = {}

    def walk(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            n = name
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = child.name
            first = getattr(child, "lineno", None)
            if first is not None:
                for ln in range(first, (getattr(child, "end_lineno", None) or first) + 1):
                    if n != "<module>" or ln not in owner:
                        owner[ln] = n
            walk(child, n)

    walk(tree, "<module>")
    return owner


def docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            if (
                node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            ):
                ids.add(id(node.body[0].value))
    return ids


def mutants(text: str) -> list[dict[str, Any]]:
    src = Src(text)
    tree = ast.parse(text)
    docs = docstring_nodes(tree)
    out: list[dict[str, Any]] = []

    def add(node: ast.AST, start: int, end: int, new: str, kind: str) -> None:
        old = text[start:end]
        if old == new:
            return
        out.append(
            {
                "line": getattr(node, "lineno", 0),
                "start": start,
                "end": end,
                "old": old,
                "new": new,
                "kind": kind,
            }
        )

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            prev = node.left
            for op, comp in zip(node.ops, node.comparators):
                _, e = src.span(prev)
                cs, _ = src.span(comp)
                seg = text[e:cs]
                old_tok, new_tok = CMP_SWAP[type(op)]
                idx = seg.find(old_tok)
                if type(op) is ast.In and "not in" in seg:
                    idx = -1
                if idx >= 0:
                    a = e + idx
                    add(node, a, a + len(old_tok), new_tok, "cmp")
                prev = comp
        elif isinstance(node, ast.BoolOp):
            tok, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            for left, right in zip(node.values, node.values[1:]):
                _, e = src.span(left)
                s2, _ = src.span(right)
                seg = text[e:s2]
                idx = seg.find(tok)
                if idx >= 0:
                    add(node, e + idx, e + idx + len(tok), new, "boolop")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            s, e = src.span(node)
            os_, oe = src.span(node.operand)
            add(node, s, e, "(" + text[os_:oe] + ")", "not")
        elif isinstance(node, ast.BinOp) and type(node.op) in BIN_SWAP:
            _, e = src.span(node.left)
            s2, _ = src.span(node.right)
            seg = text[e:s2]
            old_tok, new_tok = BIN_SWAP[type(node.op)]
            idx = seg.find(old_tok)
            if idx >= 0:
                add(node, e + idx, e + idx + 1, new_tok, "binop")
        elif isinstance(node, ast.Constant) and id(node) not in docs:
            v = node.value
            s, e = src.span(node)
            if isinstance(v, bool):
                add(node, s, e, repr(not v), "const")
            elif isinstance(v, int):
                add(node, s, e, repr(v + 1), "const")
            elif isinstance(v, float):
                add(node, s, e, repr(round(v * 1.25, 6) if v else 0.01), "const")
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max")
        ):
            s, e = src.span(node.func)
            add(node, s, e, "max" if node.func.id == "min" else "min", "minmax")
        elif isinstance(node, ast.Return) and node.value is not None:
            s, e = src.span(node.value)
            add(node, s, e, "None", "return")
        elif isinstance(node, (ast.FunctionDef, ast.For, ast.If, ast.While, ast.With, ast.Try)):
            orelse: list[ast.stmt] = getattr(node, "orelse", [])
            body_lists = [node.body] + ([orelse] if orelse else [])
            for body in body_lists:
                for st in body:
                    if isinstance(
                        st,
                        (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If, ast.Continue, ast.Raise),
                    ):
                        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
                            continue
                        s, e = src.span(st)
                        kind = "delassign" if isinstance(st, (ast.Assign, ast.AnnAssign)) else "delete"
                        add(st, s, e, "pass", kind)
    out.sort(key=lambda m: (m["start"], m["kind"], m["new"]))
    for i, m in enumerate(out, 1):
        m["id"] = i
    return out


def select(text: str, ms: list[dict[str, Any]], funcs: str | None, lines: str | None) -> list[dict[str, Any]]:
    owner = enclosing(ast.parse(text))
    res = []
    for m in ms:
        if funcs and owner.get(m["line"], "<module>") not in funcs.split(","):
            continue
        if lines:
            ok = False
            for r in lines.split(","):
                a, _, b = r.partition("-")
                if int(a) <= m["line"] <= int(b or a):
                    ok = True
            if not ok:
                continue
        m["func"] = owner.get(m["line"], "<module>")
        res.append(m)
    return res


def _default_sigint() -> None:
    """In the test run, Ctrl-C is a KeyboardInterrupt again (a shell's background job starts with it ignored, and
    the tests that send themselves a SIGINT would fail whatever the mutant)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def apply(text: str, m: dict[str, Any]) -> str:
    return text[: m["start"]] + str(m["new"]) + text[m["end"] :]


def clear_pyc(path: Path) -> None:
    cache = path.parent / "__pycache__"
    if cache.is_dir():
        for f in cache.glob(path.stem + ".*.pyc"):
            f.unlink()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd")
    ap.add_argument("module")
    ap.add_argument("--tests", default="")
    ap.add_argument("--funcs")
    ap.add_argument("--lines")
    ap.add_argument("--ids")
    ap.add_argument("--skip-kinds", default="")
    ap.add_argument("--extra", help="JSON file: list of [old, new] exact replacements (manual mutants)")
    ap.add_argument("--only-extra", action="store_true")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--log")
    ap.add_argument("--timeout", type=int, default=300)
    argv = sys.argv[1:]
    if len(argv) >= 2 and argv[1] in TARGETS:
        module, tests, sample = TARGETS[argv[1]]
        argv = [argv[0], module, "--tests", tests, *sample.split(), *argv[2:]]
    a = ap.parse_args(argv)
    path = ROOT / a.module
    text = path.read_text()
    ms = select(text, mutants(text), a.funcs, a.lines)
    if a.only_extra:
        ms = []
    if a.extra:
        for k, (old, new) in enumerate(json.loads(Path(a.extra).read_text()), 1):
            assert text.count(old) == 1, f"manual mutant {old!r} matches {text.count(old)} times"
            start = text.index(old)
            line = text[:start].count("\n") + 1
            ms.append(
                {
                    "id": 1000 + k,
                    "line": line,
                    "start": start,
                    "end": start + len(old),
                    "old": old,
                    "new": new,
                    "kind": "manual",
                    "func": enclosing(ast.parse(text)).get(line, "<module>"),
                }
            )
    skip = set(a.skip_kinds.split(",")) - {""}
    ms = [m for m in ms if m["kind"] not in skip]
    ms = ms[:: a.every]
    if a.ids:
        want = {int(x) for x in a.ids.split(",")}
        ms = [m for m in ms if m["id"] in want]
    if a.cmd == "list":
        for m in ms:
            print(
                f"{m['id']:4} L{m['line']:<4} {m['func']:24} {m['kind']:7} {m['old']!r:.40} -> {m['new']!r:.40}"
            )
        print(len(ms), "mutants", file=sys.stderr)
        return
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    log = open(a.log, "a") if a.log else None
    try:
        for m in ms:
            mutated = apply(text, m)
            try:
                compile(mutated, str(path), "exec")
            except SyntaxError:
                print(f"{m['id']}: syntax error, skipped")
                continue
            path.write_text(mutated)
            clear_pyc(path)
            t0 = time.time()
            try:
                r = subprocess.run(
                    [
                        PY,
                        "-m",
                        "pytest",
                        "-q",
                        "-x",
                        "-p",
                        "no:randomly",
                        "-p",
                        "no:cacheprovider",
                        *a.tests.split(),
                    ],
                    cwd=ROOT,
                    preexec_fn=_default_sigint,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=a.timeout,
                )
                killed = r.returncode != 0
                tail = (r.stdout.strip().splitlines() or [""])[-1]
                failed = [
                    ln for ln in r.stdout.splitlines() if ln.startswith("FAILED") or ln.startswith("ERROR")
                ]
            except subprocess.TimeoutExpired:
                killed, tail, failed = True, "timeout", []
            finally:
                path.write_text(text)
                clear_pyc(path)
            rec = {
                **m,
                "module": a.module,
                "killed": killed,
                "tail": tail,
                "by": failed[:1],
                "secs": round(time.time() - t0, 1),
            }
            print(
                f"{m['id']:4} L{m['line']:<4} {m['func']:22} {m['kind']:7} {m['old']!r:.30} -> {m['new']!r:.30}  {'KILLED' if killed else 'SURVIVED'}  {tail[:60]}",
                flush=True,
            )
            if log:
                log.write(json.dumps(rec) + "\n")
                log.flush()
    finally:
        path.write_text(text)
        clear_pyc(path)
        if log:
            log.close()


if __name__ == "__main__":
    main()
