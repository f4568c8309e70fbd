"""What a run was asked to do: one frozen value, with what follows from the flags derived, never set in place."""

from __future__ import annotations

import dataclasses

import pytest
from photon_doctor.actions.consent import Policy

from photon_doctor.config import DiagnoseOptions, Output, Real


def test_the_options_cannot_be_changed_in_place() -> None:
    options = DiagnoseOptions(dry_run=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.fix = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("fix", "dry_run", "fixing"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_dry_run_implies_fixing_without_setting_fix(fix: bool, dry_run: bool, fixing: bool) -> None:
    options = DiagnoseOptions(fix=fix, dry_run=dry_run)
    assert options.fixing is fixing and options.fix is fix


def test_the_policy_is_the_consent_flags() -> None:
    options = DiagnoseOptions(fix=True, yes=True, allow_erase=True, dry_run=True)
    assert options.policy() == Policy(yes=True, allow_erase=True, allow_irreversible=False, dry_run=True)


def test_a_real_photon_by_default() -> None:
    options = DiagnoseOptions()
    assert options.target == Real() and options.simulated is None and options.scenario is None


@pytest.mark.parametrize(("output", "as_json"), [(Output.TEXT, False), (Output.JSON, True)])
def test_the_output_is_one_choice_and_words_by_default(output: Output, as_json: bool) -> None:
    assert DiagnoseOptions().output is Output.TEXT
    assert DiagnoseOptions(output=output).as_json is as_json
