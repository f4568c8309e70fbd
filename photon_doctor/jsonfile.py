"""Reading a JSON file a person gave us, with one-line errors of the caller's own error class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from photon_doctor.errors import PhotonDoctorError


def read_json(path: Path, error: type[PhotonDoctorError], what: str = "file") -> Any:
    """Parse ``path`` as JSON. Raises ``error`` naming the path: not found, unreadable, or not valid JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON: {exc}") from None
