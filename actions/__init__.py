"""Carrying out the fixes, with consent, and verifying them (``diagnose --fix``, ``demo --fix``).

:mod:`~photon_doctor.actions.executor` walks the plan (consent, run, verify, re-plan); each automation id of the
knowledge base has a function in :mod:`~photon_doctor.actions.fix_network`, :mod:`~photon_doctor.actions.fix_device`
or :mod:`~photon_doctor.actions.fix_cloud`, registered in :mod:`~photon_doctor.actions.automations`. They act
through a :class:`~photon_doctor.actions.rig.Rig` that the composition root (:mod:`photon_doctor.bootstrap`) builds
for a real Photon or for the simulator alike. See docs/fixes.md.
"""
