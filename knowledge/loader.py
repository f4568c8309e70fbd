"""Load and validate the knowledge base from TOML files, once, into frozen dataclasses.

Files in the knowledge directory (``knowledge/data`` by default):
``observations.toml``, ``causes.toml``, ``fixes.toml``, one or more ``rules*.toml`` and, optionally,
``checklists.toml`` (the interview's "tick all that apply" questions). Each starts with
``schema_version = 1``. See docs/knowledge-format.md.

Every problem raises :class:`~photon_doctor.foundation.errors.KnowledgeError` naming the file, the item id, the field and
the bad value. Cross-references are checked: a rule that names an unknown observation, value, cause or fix,
a fix that resolves an unknown cause, are load errors.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

from photon_doctor.foundation.errors import KnowledgeError
from photon_doctor.foundation.evidence import ObsValue
from photon_doctor.knowledge.model import (
    CauseDef,
    ChecklistDef,
    ChecklistItem,
    Condition,
    ConditionalQ,
    FixDef,
    Kind,
    KnowledgeBase,
    ObservationDef,
    Op,
    Risk,
    RuleDef,
    lr_to_cf,
    version_key,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SCHEMA_VERSION = 1
DATA_DIR = Path(__file__).resolve().parent / "data"

_NUMERIC_OPS = {Op.LT, Op.LE, Op.GT, Op.GE}
_VERSION_OPS = {Op.VERSION_LT, Op.VERSION_LE, Op.VERSION_GT, Op.VERSION_GE}
_ALLOWED_OPS: dict[Kind, set[Op]] = {
    Kind.ENUM: {Op.IS, Op.IS_NOT, Op.IN, Op.NOT_IN},
    Kind.BOOL: {Op.IS},
    Kind.NUMBER: {Op.IS, Op.IS_NOT} | _NUMERIC_OPS,
    Kind.VERSION: {Op.IS, Op.IS_NOT} | _VERSION_OPS,
    Kind.FIXES: {Op.IS, Op.CONTAINS, Op.NOT_CONTAINS},
}


def load_knowledge(directory: str | Path | None = None) -> KnowledgeBase:
    """Load, validate and return the knowledge base in ``directory`` (default: the shipped one).

    Raises KnowledgeError on any problem.
    """
    root = Path(directory) if directory is not None else DATA_DIR
    if not root.is_dir():
        raise KnowledgeError(str(root), None, None, "knowledge directory not found")
    obs_doc = _read(root / "observations.toml")
    cause_doc = _read(root / "causes.toml")
    fix_doc = _read(root / "fixes.toml")
    rule_files = sorted(root.glob("rules*.toml"))
    if not rule_files:
        raise KnowledgeError(str(root), None, None, "no rules*.toml file")

    observations = _observations(root / "observations.toml", obs_doc)
    causes = _causes(root / "causes.toml", cause_doc)
    fixes = _fixes(root / "fixes.toml", fix_doc, causes, observations)
    rules: list[RuleDef] = []
    seen: set[str] = set()
    for path in rule_files:
        for rule in _rules(path, _read(path), observations, causes, fixes):
            if rule.id in seen:
                raise KnowledgeError(str(path), rule.id, "id", "duplicate rule id")
            seen.add(rule.id)
            rules.append(rule)
    by_id = {r.id: r for r in rules}
    for rule in rules:
        for refined in rule.refines:
            target = by_id.get(refined)
            if target is None or target.cause != rule.cause or target.id == rule.id:
                raise KnowledgeError(
                    str(root / rule.file),
                    rule.id,
                    "refines",
                    f"{refined!r} is not another rule for the same cause ({rule.cause})",
                )
    checklist_path = root / "checklists.toml"
    checklists = (
        _checklists(checklist_path, _read(checklist_path), observations) if checklist_path.is_file() else {}
    )
    return KnowledgeBase(
        schema_version=SCHEMA_VERSION,
        observations=MappingProxyType(observations),
        causes=MappingProxyType(causes),
        rules=tuple(rules),
        fixes=MappingProxyType(fixes),
        source_dir=str(root),
        checklists=MappingProxyType(checklists),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise KnowledgeError(str(path), None, None, "file not found") from None
    except OSError as exc:
        raise KnowledgeError(str(path), None, None, f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(str(path), None, None, f"not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x})"
        raise KnowledgeError(str(path), None, None, problem) from None
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise KnowledgeError(
            str(path), None, "schema_version", f"expected {SCHEMA_VERSION}, found {version!r}"
        )
    return doc


class _Item:
    """Typed access to one table of a knowledge file, raising KnowledgeError with file, id and field."""

    def __init__(self, path: Path, table: Any, index: int, section: str) -> None:
        self.path = str(path)
        if not isinstance(table, dict):
            raise KnowledgeError(self.path, f"{section}[{index}]", None, "must be a table")
        self.table = table
        raw_id = table.get("id")
        if not isinstance(raw_id, str) or not raw_id.strip():
            raise KnowledgeError(
                self.path, f"{section}[{index}]", "id", f"missing or not a string: {raw_id!r}"
            )
        self.id = raw_id

    def fail(self, field: str | None, problem: str) -> KnowledgeError:
        return KnowledgeError(self.path, self.id, field, problem)

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.table.get(name, None)
        if value is None:
            if required:
                raise self.fail(name, "missing")
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(name, f"must be a non-empty string, found {value!r}")
        return value

    def num(self, name: str, lo: float, hi: float, *, required: bool = True, default: float = 0.0) -> float:
        value = self.table.get(name, None)
        if value is None:
            if required:
                raise self.fail(name, "missing")
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self.fail(name, f"must be a number, found {value!r}")
        if not lo <= value <= hi:
            raise self.fail(name, f"must be between {lo} and {hi}, found {value!r}")
        return float(value)

    def one_or_more(self, name: str) -> tuple[str, ...]:
        """An optional field that holds one string or a list of them."""
        if isinstance(self.table.get(name, None), str):
            return (self.text(name),)
        return self.texts(name, required=False)

    def texts(self, name: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.table.get(name, None)
        if value is None:
            if required:
                raise self.fail(name, "missing")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, f"must be a list of strings, found {value!r}")
        if required and not value:
            raise self.fail(name, "must not be empty")
        return tuple(value)


def _tables(path: Path, doc: dict[str, Any], section: str) -> list[Any]:
    tables = doc.get(section)
    if not isinstance(tables, list) or not tables:
        raise KnowledgeError(str(path), None, section, f"expected one or more [[{section}]] tables")
    return tables


def _observations(path: Path, doc: dict[str, Any]) -> dict[str, ObservationDef]:
    result: dict[str, ObservationDef] = {}
    for i, table in enumerate(_tables(path, doc, "observation")):
        item = _Item(path, table, i, "observation")
        if item.id in result:
            raise item.fail("id", "duplicate observation id")
        kind_raw = item.text("kind")
        try:
            kind = Kind(kind_raw)
        except ValueError:
            raise item.fail(
                "kind", f"unknown kind {kind_raw!r}; expected one of {[k.value for k in Kind]}"
            ) from None
        choices_raw = table.get("choices", {})
        if kind is Kind.ENUM:
            if not isinstance(choices_raw, dict) or not choices_raw:
                raise item.fail("choices", "an enum observation needs a [observation.choices] table")
            for value, meaning in choices_raw.items():
                if not isinstance(meaning, str) or not meaning.strip():
                    raise item.fail(
                        f"choices.{value}", f"meaning must be a non-empty string, found {meaning!r}"
                    )
        elif choices_raw:
            raise item.fail("choices", f"only enum observations have choices (this one is {kind.value})")
        bounds: dict[str, float | None] = {}
        for name in ("min", "max"):
            if name in table and kind is not Kind.NUMBER:
                raise item.fail(name, f"only number observations have a {name} (this one is {kind.value})")
            bounds[name] = item.num(name, -1e12, 1e12) if name in table else None
        low, high = bounds["min"], bounds["max"]
        if low is not None and high is not None and low >= high:
            raise item.fail("max", f"must be above min ({low:g}), found {high:g}")
        result[item.id] = ObservationDef(
            id=item.id,
            kind=kind,
            question=item.text("question"),
            help=item.text("help"),
            cost=item.num("cost", 0.0, 1440.0),
            choices=MappingProxyType(dict(choices_raw)),
            unit=item.text("unit", required=False) or None,
            probes=item.texts("probes", required=False),
            askable=bool(table.get("askable", True)),
            reported=int(item.num("reported", 0, 100000, required=False, default=0)),
            answerable=item.num("answerable", 0.0, 1.0) if "answerable" in table else None,
            minimum=low,
            maximum=high,
        )
    return result


def _checklists(
    path: Path, doc: dict[str, Any], observations: dict[str, ObservationDef]
) -> dict[str, ChecklistDef]:
    """The "tick all that apply" questions: each item names an askable yes/no or enum observation and a value."""
    result: dict[str, ChecklistDef] = {}
    for i, table in enumerate(_tables(path, doc, "checklist")):
        item = _Item(path, table, i, "checklist")
        if item.id in result or item.id in observations:
            raise item.fail(
                "id", "duplicate id (checklist ids must differ from each other and from observations)"
            )
        raw_items = table.get("item")
        if not isinstance(raw_items, list) or not raw_items:
            raise item.fail("item", "expected one or more [[checklist.item]] tables")
        items: list[ChecklistItem] = []
        for j, raw in enumerate(raw_items):
            where = f"item[{j}]"
            if not isinstance(raw, dict):
                raise item.fail(where, "must be a table")
            obs_id, value, text = raw.get("obs"), raw.get("value"), raw.get("text")
            odef = observations.get(obs_id) if isinstance(obs_id, str) else None
            if odef is None:
                raise item.fail(f"{where}.obs", f"unknown observation {obs_id!r}")
            if odef.kind not in (Kind.BOOL, Kind.ENUM) or not odef.askable:
                raise item.fail(f"{where}.obs", f"{obs_id} must be an askable yes/no or enum observation")
            checked: ObsValue = _check_value(item, f"{where}.value", odef, Op.IS, value, {})
            if not isinstance(text, str) or not text.strip():
                raise item.fail(f"{where}.text", f"must be a non-empty string, found {text!r}")
            group = raw.get("group", "")
            if not isinstance(group, str):
                raise item.fail(f"{where}.group", f"must be a string, found {group!r}")
            entry = ChecklistItem(odef.id, checked, text, group.strip())
            if any(e.key == entry.key for e in items):
                raise item.fail(where, f"duplicate item {entry.key}")
            items.append(entry)
        result[item.id] = ChecklistDef(
            id=item.id,
            question=item.text("question"),
            help=item.text("help"),
            cost=item.num("cost", 0.0, 60.0),
            items=tuple(items),
            settles=bool(table.get("settles", False)),
        )
    return result


def _causes(path: Path, doc: dict[str, Any]) -> dict[str, CauseDef]:
    result: dict[str, CauseDef] = {}
    for i, table in enumerate(_tables(path, doc, "cause")):
        item = _Item(path, table, i, "cause")
        if item.id in result:
            raise item.fail("id", "duplicate cause id")
        result[item.id] = CauseDef(
            id=item.id,
            title=item.text("title"),
            description=item.text("description"),
            prior=item.num("prior", 0.0, 0.5),
            sources=item.texts("sources"),
            real_cases=int(item.num("real_cases", 0, 10000, required=False, default=0)),
        )
    return result


def _fixes(
    path: Path, doc: dict[str, Any], causes: dict[str, CauseDef], observations: dict[str, ObservationDef]
) -> dict[str, FixDef]:
    result: dict[str, FixDef] = {}
    for i, table in enumerate(_tables(path, doc, "fix")):
        item = _Item(path, table, i, "fix")
        if item.id in result:
            raise item.fail("id", "duplicate fix id")
        resolves_raw = table.get("resolves")
        if not isinstance(resolves_raw, dict) or not resolves_raw:
            raise item.fail("resolves", "needs a [fix.resolves] table of cause = probability")
        resolves: dict[str, float] = {}
        for cause, p in resolves_raw.items():
            if cause not in causes:
                raise item.fail(f"resolves.{cause}", f"unknown cause {cause!r}")
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 < p <= 1.0:
                raise item.fail(f"resolves.{cause}", f"probability must be in (0, 1], found {p!r}")
            resolves[cause] = float(p)
        risk_raw = item.text("risk")
        try:
            risk = Risk(risk_raw)
        except ValueError:
            raise item.fail(
                "risk", f"unknown risk {risk_raw!r}; expected one of {[r.value for r in Risk]}"
            ) from None
        reversible = table.get("reversible")
        if not isinstance(reversible, bool):
            raise item.fail("reversible", f"must be true or false, found {reversible!r}")
        result[item.id] = FixDef(
            id=item.id,
            title=item.text("title"),
            description=item.text("description"),
            resolves=MappingProxyType(resolves),
            cost=item.num("cost", 0.1, 10080.0),
            risk=risk,
            reversible=reversible,
            steps=item.texts("steps"),
            automation=item.text("automation", required=False, default="manual"),
            changes=item.text("changes"),
            sources=item.texts("sources", required=False),
            resolves_when=_resolves_when(item, table.get("resolves_when", []), causes, observations),
            done_when=_fix_conditions(
                item,
                "done_when",
                table.get("done_when", []),
                observations,
                "the fixes tried already say which fixes were done",
            ),
            applies_when=_fix_conditions(
                item,
                "applies_when",
                table.get("applies_when", []),
                observations,
                "a fix's situation cannot be the fixes tried",
            ),
            applies_why=item.text("applies_why", required="applies_when" in table, default=""),
            after_success=_after_success(item, table.get("after_success")),
        )
    for fid, fix in result.items():
        if fix.after_success is not None and fix.after_success[0] not in result:
            raise KnowledgeError(str(path), fid, "after_success.fix", f"unknown fix {fix.after_success[0]!r}")
    return result


def _after_success(item: _Item, raw: Any) -> tuple[str, str] | None:
    """A fix's ``after_success = { fix = "...", why = "..." }``: what to do once it brought the device online."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"fix", "why"}:
        raise item.fail("after_success", f"must be a table with 'fix' and 'why', found {raw!r}")
    fix, why = raw["fix"], raw["why"]
    if not isinstance(fix, str) or not fix or fix == item.id:
        raise item.fail("after_success.fix", f"must name another fix, found {fix!r}")
    if not isinstance(why, str) or not why.strip():
        raise item.fail("after_success.why", f"must be a non-empty string, found {why!r}")
    return fix, why


def _fix_conditions(
    item: _Item, name: str, raw: Any, observations: dict[str, ObservationDef], not_fixes: str
) -> tuple[Condition, ...]:
    """A fix's list of conditions ``name`` (``done_when``: the observations report it done without success;
    ``applies_when``: the situation it is meant for); all must hold, and none may be on the fixes tried."""
    if not isinstance(raw, list):
        raise item.fail(name, f"must be a list of conditions, found {raw!r}")
    conditions = tuple(_condition(item, f"{name}[{k}]", c, observations, {}) for k, c in enumerate(raw))
    if any(observations[c.obs].kind is Kind.FIXES for c in conditions):
        raise item.fail(name, not_fixes)
    return conditions


def _resolves_when(
    item: _Item, raw: Any, causes: dict[str, CauseDef], observations: dict[str, ObservationDef]
) -> tuple[ConditionalQ, ...]:
    """A fix's ``[[fix.resolves_when]]`` entries: the chance it resolves a cause in a particular situation."""
    if not isinstance(raw, list):
        raise item.fail("resolves_when", f"must be a list of [[fix.resolves_when]] tables, found {raw!r}")
    result = []
    for j, table in enumerate(raw):
        where = f"resolves_when[{j}]"
        if not isinstance(table, dict):
            raise item.fail(where, f"must be a table, found {table!r}")
        cause = table.get("cause")
        if cause not in causes:
            raise item.fail(f"{where}.cause", f"unknown cause {cause!r}")
        q = table.get("q")
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0.0 < q <= 1.0:
            raise item.fail(f"{where}.q", f"probability must be in (0, 1], found {q!r}")
        when = table.get("when")
        if not isinstance(when, list) or not when:
            raise item.fail(f"{where}.when", "needs a non-empty list of conditions")
        conditions = tuple(
            _condition(item, f"{where}.when[{k}]", c, observations, {}) for k, c in enumerate(when)
        )
        if any(observations[c.obs].kind is Kind.FIXES for c in conditions):
            raise item.fail(f"{where}.when", "a fix's situation cannot be the fixes tried")
        texts = {}
        for name in ("why", "source"):
            text = table.get(name)
            if not isinstance(text, str) or not text.strip():
                raise item.fail(f"{where}.{name}", f"must be a non-empty string, found {text!r}")
            texts[name] = text
        result.append(ConditionalQ(cause, float(q), conditions, texts["why"], texts["source"]))
    return tuple(result)


def _rules(
    path: Path,
    doc: dict[str, Any],
    observations: dict[str, ObservationDef],
    causes: dict[str, CauseDef],
    fixes: dict[str, FixDef],
) -> list[RuleDef]:
    result = []
    for i, table in enumerate(_tables(path, doc, "rule")):
        item = _Item(path, table, i, "rule")
        # One finding may bear on several causes alike: `causes = [...]` stands for one rule per cause, each with
        # the id "<id>.<cause>" and the same conditions, strength, rationale and source.
        if "causes" in table:
            if "cause" in table:
                raise item.fail("causes", "give either cause or causes, not both")
            listed = table["causes"]
            if not isinstance(listed, list) or not listed or not all(isinstance(c, str) for c in listed):
                raise item.fail("causes", f"must be a non-empty list of cause ids, found {listed!r}")
            if len(set(listed)) != len(listed):
                raise item.fail("causes", "lists a cause twice")
            if "refines" in table:
                raise item.fail("refines", "a rule for several causes cannot refine one rule")
            for cause in listed:
                one = {k: v for k, v in table.items() if k != "causes"}
                one.update(id=f"{item.id}.{cause}", cause=cause)
                result.extend(_rules(path, {"rule": [one]}, observations, causes, fixes))
            continue
        cause = item.text("cause")
        if cause not in causes:
            raise item.fail("cause", f"unknown cause {cause!r}")
        # A rule's strength: `lr` (likelihood ratio) or, in the older format, `cf` (certainty factor).
        if "lr" in table:
            if "cf" in table:
                raise item.fail("lr", "give either lr or cf, not both")
            lr = item.num("lr", 0.0, 1000.0)
            if lr <= 0.0 or lr == 1.0:
                raise item.fail("lr", f"must be above 0 and not 1 (1 would change nothing), found {lr!r}")
            cf = lr_to_cf(lr)
        else:
            lr = 0.0
            cf = item.num("cf", -1.0, 1.0)
            if cf == 0.0 or abs(cf) >= 1.0:
                raise item.fail("cf", f"must be in (-1, 0) or (0, 1), found {cf!r}")
        when = table.get("when")
        if not isinstance(when, list) or not when:
            raise item.fail("when", "needs a non-empty list of conditions")
        conditions = tuple(
            _condition(item, f"when[{j}]", raw, observations, fixes) for j, raw in enumerate(when)
        )
        result.append(
            RuleDef(
                id=item.id,
                cause=cause,
                cf=cf,
                conditions=conditions,
                rationale=item.text("rationale"),
                source=item.text("source"),
                file=path.name,
                lr=lr,
                refines=item.one_or_more("refines"),
            )
        )
    return result


def _condition(
    item: _Item,
    where: str,
    raw: Any,
    observations: dict[str, ObservationDef],
    fixes: dict[str, FixDef],
) -> Condition:
    if not isinstance(raw, dict):
        raise item.fail(where, f"a condition must be a table like {{obs = ..., is = ...}}, found {raw!r}")
    negate = False
    if set(raw) == {"not"}:
        negate, raw = True, raw["not"]
        where += ".not"
        if not isinstance(raw, dict):
            raise item.fail(where, f"must be a condition table, found {raw!r}")
    obs_id = raw.get("obs")
    if obs_id not in observations:
        raise item.fail(f"{where}.obs", f"unknown observation {obs_id!r}")
    odef = observations[obs_id]
    ops = [k for k in raw if k != "obs"]
    if len(ops) != 1:
        raise item.fail(where, f"needs exactly one operator besides 'obs', found {ops}")
    try:
        op = Op(ops[0])
    except ValueError:
        raise item.fail(
            where, f"unknown operator {ops[0]!r}; expected one of {[o.value for o in Op]}"
        ) from None
    if op not in _ALLOWED_OPS[odef.kind]:
        raise item.fail(
            f"{where}.{op.value}",
            f"operator not allowed on {odef.kind.value} observation {obs_id!r}; "
            f"allowed: {sorted(o.value for o in _ALLOWED_OPS[odef.kind])}",
        )
    value = _check_value(item, f"{where}.{op.value}", odef, op, raw[op.value], fixes)
    return Condition(obs=obs_id, op=op, value=value, negate=negate)


def _check_value(
    item: _Item, where: str, odef: ObservationDef, op: Op, value: Any, fixes: dict[str, FixDef]
) -> Any:
    kind = odef.kind
    if kind is Kind.ENUM:
        values = value if op in (Op.IN, Op.NOT_IN) else [value]
        if op in (Op.IN, Op.NOT_IN) and (not isinstance(value, list) or not value):
            raise item.fail(where, f"must be a non-empty list of values, found {value!r}")
        for v in values:
            if v not in odef.choices:
                raise item.fail(
                    where, f"unknown value {v!r} for {odef.id}; expected one of {list(odef.choices)}"
                )
        return tuple(values) if op in (Op.IN, Op.NOT_IN) else value
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise item.fail(where, f"must be true or false, found {value!r}")
        return value
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise item.fail(where, f"must be a number, found {value!r}")
        return float(value)
    if kind is Kind.VERSION:
        try:
            version_key(str(value))
        except ValueError:
            raise item.fail(where, f"not a version: {value!r}") from None
        if not isinstance(value, str):
            raise item.fail(where, f'a version must be a string like "1.5.2", found {value!r}')
        return value
    # Kind.FIXES
    if op is Op.IS:
        if not isinstance(value, list):
            raise item.fail(where, f"must be a list of fix ids, found {value!r}")
        items = value
    else:
        items = [value]
    for fid in items:
        if fid not in fixes:
            raise item.fail(where, f"unknown fix {fid!r}")
    return tuple(value) if op is Op.IS else value
