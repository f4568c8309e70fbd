"""What the command line consents to, and what each fix needs beyond ``--yes``.

``--yes`` covers harmless fixes and settings changes that can be undone, nothing more. A fix that erases data
needs ``--allow-erase``; any other fix that cannot be undone needs ``--allow-irreversible``. At the prompt, such a
fix runs only when the person types the word of :data:`TYPED_WORD`, never on a plain ``y`` (docs/fixes.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from photon_doctor.knowledge.model import FixDef, Risk


@dataclass(frozen=True)
class Policy:
    """What the command line allows: ``yes`` (harmless and settings-changing fixes that can be undone),
    ``allow_erase`` (fixes that erase data, and what ``yes`` allows), ``allow_irreversible`` (fixes that cannot be
    undone, and what ``yes`` allows; not erasing), ``dry_run``."""

    yes: bool = False
    allow_erase: bool = False
    allow_irreversible: bool = False
    dry_run: bool = False
    verbose: bool = False  # show the knowledge's ids beside the titles


#: The dedicated flag a fix needs beyond ``--yes``, and the word a person types at the prompt instead.
ERASE_FLAG, IRREVERSIBLE_FLAG = "--allow-erase", "--allow-irreversible"


def needs_flag(fix: FixDef) -> str | None:
    """The flag that alone may consent to ``fix`` without asking, or None when ``--yes`` is enough.

    ``--yes`` covers harmless fixes and settings changes that can be undone. Erasing data needs ``--allow-erase``;
    anything else that cannot be undone (a Device OS update, a change of owner) needs ``--allow-irreversible``.
    """
    if fix.risk is Risk.ERASES_DATA:
        return ERASE_FLAG
    if fix.risk is Risk.IRREVERSIBLE or not fix.reversible:
        return IRREVERSIBLE_FLAG
    return None


def allowed(policy: Policy, fix: FixDef) -> bool:
    """Whether the command line's flags consent to ``fix`` (``--yes`` alone never runs an erase-data fix).
    ``--allow-erase`` and ``--allow-irreversible`` cover what ``--yes`` covers too: without it, ``--allow-erase
    --no-input`` passed over a harmless fix and erased the device with the next one (docs/fixes.md)."""
    flag = needs_flag(fix)
    if flag is None:
        return policy.yes or policy.allow_erase or policy.allow_irreversible
    return policy.allow_erase if flag == ERASE_FLAG else policy.allow_irreversible


#: The word to type at the prompt for a fix that needs a dedicated flag.
TYPED_WORD = {ERASE_FLAG: "erase", IRREVERSIBLE_FLAG: "proceed"}
