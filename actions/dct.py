"""The Photon's configuration area (DCT) as dfu-util sees it, and the dfu-util command lines the fixes use.

DFU alt setting 1 maps addresses straight to offsets in the application DCT (reference §1, §7); the values
below are the ones Device OS reads (reference §7, §8):

* ``antenna_selection`` at 2976: 0 = internal (``ANT_INTERNAL``), 1 = external, 3 = auto; 0xFF = internal.
* ``ip_config`` at 1634: its first byte ``config_mode`` is 0 for DHCP, 1 for static (the addresses after it stay).
* ``claim_code`` at 1762 (63 bytes) followed by ``claimed`` at 1825: a 64-byte file, 0x00 then 0xFF x 63, clears
  both (rickkas7/photonreset's ``clear_claim.bin``).
"""

from __future__ import annotations

from dataclasses import dataclass

PHOTON_DFU = "2b04:d006"  # VID:PID of a Photon in DFU mode
DCT_ALT = "1"
FLASH_ALT = "0"
USER_FIRMWARE_ADDRESS = 0x080A0000
DOWNLOAD_OK = "File downloaded successfully"
NO_DEVICE = "No DFU capable USB device available"

ANTENNA_OFFSET = 2976
IP_CONFIG_OFFSET = 1634
CLAIM_CODE_OFFSET = 1762
CLAIM_CODE_LENGTH = 63
CLAIMED_OFFSET = 1825
ANT_INTERNAL = 0x00
DYNAMIC_IP = 0x00


@dataclass(frozen=True)
class DctWrite:
    """Bytes to write at one DCT offset. ``filename`` is the file dfu-util downloads; ``what`` names the field and
    value beside the command; ``said`` is the change in words for people ("What was done", the report)."""

    filename: str
    offset: int
    data: bytes
    what: str
    said: str

    def describe_file(self) -> str:
        """``antenna_internal.bin: 1 byte, 00`` (long files shortened)."""
        shown = self.data.hex(" ")
        if len(self.data) > 4:
            shown = f"{self.data[:1].hex()} then {self.data[1:2].hex()} x {len(self.data) - 1}"
        return f"{self.filename}: {len(self.data)} byte{'s' if len(self.data) != 1 else ''}, {shown}"


ANTENNA_INTERNAL = DctWrite(
    "antenna_internal.bin",
    ANTENNA_OFFSET,
    bytes([ANT_INTERNAL]),
    "antenna_selection = 0 (internal antenna)",
    "the internal antenna is selected",
)
USE_DYNAMIC_IP = DctWrite(
    "dynamic_ip.bin",
    IP_CONFIG_OFFSET,
    bytes([DYNAMIC_IP]),
    "ip_config mode = 0 (DHCP; the static addresses stay remembered)",
    "the device asks the router for its address again (DHCP; the static addresses stay remembered)",
)
CLEAR_CLAIM_CODE = DctWrite(
    "clear_claim.bin",
    CLAIM_CODE_OFFSET,
    b"\x00" + b"\xff" * CLAIM_CODE_LENGTH,
    "claim_code cleared and the claimed flag reset",
    "the stored claim code is cleared and the device no longer marks itself as claimed",
)
assert CLAIM_CODE_OFFSET + len(CLEAR_CLAIM_CODE.data) == CLAIMED_OFFSET + 1


def list_args() -> list[str]:
    """``dfu-util -l``: list DFU devices (a Photon shows ``Found DFU: [2b04:d006]``)."""
    return ["-l"]


def dct_write_args(write: DctWrite, file: str) -> list[str]:
    """``dfu-util -d 2b04:d006 -a 1 -s <offset>:leave -D <file>``: write, then leave DFU (the device resets)."""
    return ["-d", PHOTON_DFU, "-a", DCT_ALT, "-s", f"{write.offset}:leave", "-D", file]


def read_args(offset: int, length: int, file: str) -> list[str]:
    """``dfu-util -d 2b04:d006 -a 1 -s <offset>:<length>:leave -U <file>``: read DCT bytes, then leave DFU
    (reference §5: reads take ``[:<size>][:leave]``)."""
    return ["-d", PHOTON_DFU, "-a", DCT_ALT, "-s", f"{offset}:{length}:leave", "-U", file]


def leave_args(file: str) -> list[str]:
    """Leave DFU without changing anything: read one DCT byte with ``:leave`` (the device resets).

    ``dfu-util -d 2b04:d006 -a 1 -s 0:1:leave -U <file>``.
    """
    return read_args(0, 1, file)


def photon_in_dfu(listing: str) -> bool:
    """Whether ``dfu-util -l`` output shows a Photon in DFU mode."""
    return f"[{PHOTON_DFU}]" in listing.lower()
