"""SIMULATED stand-ins for ``dfu-util`` and ``particle``: ``python -m photon_doctor.simulator.standin dfu-util ARGS``.

They take the real command lines (reference §5) and act on the simulated Photon through the control endpoint
whose URL is in ``PHOTON_DOCTOR_SIM_CONTROL`` (:mod:`photon_doctor.simulator.control`). On success they print
what the real tools print (dfu-util's "File downloaded successfully"); they fail like them, e.g. dfu-util's
"No DFU capable USB device available" (exit 74) when the device is not in DFU mode. Only the standard library
is imported, so a stand-in starts quickly.

dfu-util: ``-V``, ``-l``, ``-d 2b04:d006 -a ALT [-i 0] -s ADDRESS[:LENGTH][:leave] -D FILE | -U FILE``.
particle: ``--version``, ``usb list|dfu|reset``, ``flash --usb tinker|FILE``,
``compile photon FILE --saveTo OUT [--target VERSION]``, ``keys server``, ``keys doctor DEVICE_ID``, ``update``
(as particle-cli 2.16.0: Device OS 2.2.0; with ``PHOTON_DOCTOR_SIM_PARTICLE`` naming 3.14.0 or later,
``update [--target VERSION]``).

A simulated binary names its application and the Device OS it was built for (``compile``'s ``--target``, else the
latest Photon target, as particle-cli v2.16.0 ``src/cli/cloud.js`` says: "Defaults to latest version"); the known
app ``tinker`` is particle-cli's ``assets/binaries/tinker-0.4.5-photon.bin``, built for 0.4.5.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DFU_UTIL_VERSION = "0.11"
#: The particle-cli the stand-in is: 2.16.0, which bundles Device OS 2.2.0 for the Photon. ``PHOTON_DOCTOR_SIM_PARTICLE``
#: may name a version from 3.14.0 on instead, whose ``update`` downloads the release ``--target`` names.
PARTICLE_VERSION = "2.16.0"
VERSION_ENV = "PHOTON_DOCTOR_SIM_PARTICLE"
#: particle-cli v3.14.0 src/cmd/update.js: ``update [device] [--target V]`` downloads the release (else "latest").
DOWNLOADS_FROM = (3, 14, 0)
EX_USAGE, EX_IOERR, EX_SOFTWARE = 64, 74, 70
CONTROL_ENV = "PHOTON_DOCTOR_SIM_CONTROL"
#: A simulated binary starts with this line, naming its application.
BINARY_MARKER = b"photon-doctor simulated firmware: app="
KNOWN_APPS = ("tinker", "doctor")
#: The Device OS each known app was built for (particle-cli v2.16.0 assets/binaries/tinker-0.4.5-photon.bin).
KNOWN_APP_TARGETS = {"tinker": "0.4.5"}
#: What ``particle compile photon`` builds against without ``--target``: the cloud's latest Photon release, here
#: the last 2.x LTS (which release the real cloud offers as latest is not in the sources).
LATEST_TARGET = "2.3.1"
_TARGET_LINE = b"target="
_BANNER = (
    f"dfu-util {DFU_UTIL_VERSION}\n\n"
    "Copyright 2005-2009 Weston Schmidt, Harald Welte and OpenMoko Inc.\n"
    "Copyright 2010-2021 Tormod Volden and Stefan Schmidt\n"
    "This program is Free Software and has ABSOLUTELY NO WARRANTY\n"
    "Please report bugs to http://sourceforge.net/p/dfu-util/tickets/\n"
)
_ALT_NAMES = {
    0: "@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg",
    1: "@DCT Flash   /0x00000000/01*016Kg",
}


def simulated_binary(app: str, target: str | None = None) -> bytes:
    """The bytes of a simulated application binary (what the stand-in ``particle compile`` writes): its app and,
    when known, the Device OS it was built for (a user part needs at least that version to run)."""
    built = _TARGET_LINE + target.encode("ascii") + b"\n" if target else b""
    return BINARY_MARKER + app.encode("ascii") + b"\n" + built + bytes(64)


def target_of(binary: bytes) -> str | None:
    """The Device OS a simulated binary was built for, or None when it does not say (someone's own binary)."""
    if not binary.startswith(BINARY_MARKER):
        return None
    lines = binary[len(BINARY_MARKER) :].split(b"\n", 2)
    if len(lines) < 2 or not lines[1].startswith(_TARGET_LINE):
        return None
    return lines[1][len(_TARGET_LINE) :].decode("ascii", "replace") or None


def app_of(binary: bytes) -> str:
    """The application a binary holds: a simulated one names it; anything else is someone's own application."""
    if binary.startswith(BINARY_MARKER):
        return binary[len(BINARY_MARKER) :].split(b"\n", 1)[0].decode("ascii", "replace") or "user"
    return "user"


class Refused(Exception):
    """The control endpoint said no: ``status`` 409 means the device is not where the tool looks for it."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def call(op: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request to the control endpoint. Raises Refused, or SystemExit when there is no simulator."""
    base = os.environ.get(CONTROL_ENV)
    if not base:
        sys.stderr.write(
            f"this is a simulated stand-in for the photon-doctor demo; {CONTROL_ENV} is not set\n"
        )
        raise SystemExit(EX_SOFTWARE)
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        f"{base}/{op}",
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                error = str(json.loads(exc.read()).get("error", exc.reason))
            except ValueError:
                error = str(exc.reason)
        raise Refused(exc.code, error) from None
    except (urllib.error.URLError, OSError) as exc:
        sys.stderr.write(f"the simulated Photon is not running ({exc})\n")
        raise SystemExit(EX_IOERR) from None


def out(text: str) -> None:
    """Print a line as the real tool does (stdout, flushed)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- dfu-util ---------------------------------------------------------------------------------------------------
def _parse_dfu(argv: list[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    flags = {
        "-d": "device",
        "-a": "alt",
        "-i": "intf",
        "-s": "address",
        "-D": "download",
        "-U": "upload",
        "-p": "path",
        "-S": "serial",
        "-t": "transfer_size",
    }
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-l", "--list"):
            opts["list"] = True
        elif arg in ("-V", "--version"):
            opts["version"] = True
        elif arg in ("-e", "--detach", "-R", "--reset"):
            opts["reset"] = True
        elif arg in flags and i + 1 < len(argv):
            opts[flags[arg]] = argv[i + 1]
            i += 1
        else:
            raise ValueError(f"invalid option -- '{arg}'")
        i += 1
    return opts


def _address(spec: str) -> tuple[int, int | None, bool]:
    parts = spec.split(":")
    address = int(parts[0], 0)
    length = next((int(p, 0) for p in parts[1:] if p and p[0].isdigit()), None)
    return address, length, "leave" in parts[1:]


def dfu_util(argv: list[str]) -> int:
    """The dfu-util stand-in; returns its exit code."""
    try:
        opts = _parse_dfu(argv)
    except ValueError as exc:
        sys.stderr.write(f"dfu-util: {exc}\nTry `dfu-util --help' for more information.\n")
        return EX_USAGE
    if opts.get("version"):
        out(_BANNER.rstrip("\n"))
        return 0
    out(_BANNER)
    usb = call("usb")
    in_dfu = usb["mode"] == "dfu"
    if opts.get("list"):
        if in_dfu:
            for alt in (0, 1):
                out(
                    f'Found DFU: [2b04:d006] ver=0250, devnum=12, cfg=1, intf=0, path="1-1", alt={alt}, '
                    f'name="{_ALT_NAMES[alt]}", serial="{usb["device_id"]}"'
                )
        return 0
    if opts.get("device", "2b04:d006").lower() != "2b04:d006" or not in_dfu:
        sys.stderr.write("dfu-util: No DFU capable USB device available\n")
        return EX_IOERR
    if "address" not in opts or not ("download" in opts or "upload" in opts):
        sys.stderr.write("dfu-util: You need to specify one of -D or -U\n")
        return EX_USAGE
    try:
        alt = int(opts.get("alt", "0"))
        address, length, leave = _address(opts["address"])
    except ValueError:
        sys.stderr.write(
            f"dfu-util: invalid alternate setting or address: {opts.get('alt')} {opts['address']}\n"
        )
        return EX_USAGE
    out(
        "Opening DFU capable USB device...\nID 2b04:d006\nRun-time device DFU version 011a\n"
        f"Claiming USB DFU Interface...\nSetting Alternate Setting #{alt} ...\n"
        "Determining device status: state = dfuIDLE, status = 0\ndfuIDLE, continuing\n"
        "DFU mode device DFU version 011a\nDevice returned transfer size 4096\n"
        f'DfuSe interface name: "{_ALT_NAMES.get(alt, "?")[1:].split("/")[0]}"'
    )
    try:
        if "upload" in opts:
            data = bytes.fromhex(
                call("dfu/read", {"alt": alt, "address": address, "length": length or 16384, "leave": leave})[
                    "data"
                ]
            )
            with open(opts["upload"], "wb") as f:
                f.write(data)
            out(f"Upload\t[=========================] 100%         {len(data)} bytes\nUpload done.")
            return 0
        with open(opts["download"], "rb") as f:
            data = f.read()
        sys.stderr.write(
            "dfu-util: Warning: Invalid DFU suffix signature\n"
            "dfu-util: A valid DFU suffix will be required in a future dfu-util release\n"
        )
        out(f"Downloading element to address = {address:#010x}, size = {len(data)}")
        call("dfu/write", {"alt": alt, "address": address, "data": data.hex(), "leave": leave})
    except OSError as exc:
        sys.stderr.write(f"dfu-util: Cannot open file: {exc.strerror}\n")
        return EX_IOERR
    except Refused as exc:
        if exc.status == 409:
            sys.stderr.write("dfu-util: No DFU capable USB device available\n")
        else:
            sys.stderr.write(f"dfu-util: Error during download: {exc.error}\n")
        return EX_IOERR
    out(
        f"Download\t[=========================] 100%         {len(data)} bytes\nDownload done.\n"
        "File downloaded successfully"
    )
    if leave:
        out("Transitioning to dfuMANIFEST state")
    return 0


# --- particle ---------------------------------------------------------------------------------------------------
def _not_in_dfu() -> int:
    sys.stderr.write(
        "!!! I was unable to detect any devices in DFU mode...\n\n"
        "> Your device will blink yellow when in DFU mode.\n"
        "> If your device is not blinking yellow, please:\n\n"
        "1) Press and hold both the RESET/RST and MODE/SETUP buttons simultaneously.\n\n"
        "2) Release only the RESET/RST button while holding down the MODE/SETUP button.\n\n"
        "3) Wait for the LED to start blinking yellow.\n\n4) Release the MODE/SETUP button.\n"
    )
    return 1


def _flash(target: str) -> int:
    if target in KNOWN_APPS:
        app, built_for = target, KNOWN_APP_TARGETS.get(target)
    else:
        try:
            with open(target, "rb") as f:
                binary = f.read()
        except OSError as exc:
            sys.stderr.write(f"I couldn't find that: {target} ({exc.strerror})\n")
            return 1
        app, built_for = app_of(binary), target_of(binary)
    call("flash", {"app": app, "leave": True, "requires": built_for})
    out("\nFlash success!")
    return 0


def _options(args: list[str], names: tuple[str, ...]) -> tuple[list[str], dict[str, str]] | None:
    """Positional arguments and ``--name value`` options; None when an option has no value."""
    positional: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        if args[i] in names:
            if i + 1 == len(args):
                return None
            options[args[i]] = args[i + 1]
            i += 2
            continue
        positional.append(args[i])
        i += 1
    return positional, options


def _compile(args: list[str]) -> int:
    parsed = _options(args, ("--saveTo", "--target"))
    if parsed is None or len(parsed[0]) < 2 or "--saveTo" not in parsed[1]:
        sys.stderr.write("Usage: particle compile <deviceType> [files...] --saveTo <filename>\n")
        return 1
    positional, options = parsed
    target = options["--saveTo"]
    version = options.get("--target", "latest")
    if version == "latest":
        version = LATEST_TARGET
    else:  # particle-cli v2.16.0 src/cmd/cloud.js compileCode(): printed for a named target
        out(f"Targeting version: {version}")
    sources = [a for a in positional[1:] if not a.startswith("-")]
    text = ""
    for name in sources:
        with open(name, encoding="utf-8") as f:
            text += f.read()
    app = "reset_settings" if "WiFi.clearCredentials()" in text else "user"
    out(
        f"\nCompiling code for {positional[0]}\n\nIncluding:\n"
        + "\n".join(f"    {s}" for s in sources)
        + "\n\nattempting to compile firmware\ndownloading binary from: /v1/binaries/simulated"
    )
    with open(target, "wb") as f:
        f.write(simulated_binary(app, version))
    out(
        f"saving to: {target}\nMemory use:\n   text\t   data\t    bss\t    dec\t    hex\tfilename\n"
        "Compile succeeded.\nSaved firmware to: " + os.path.abspath(target)
    )
    return 0


def particle_version() -> str:
    """The particle-cli version the stand-in is (see :data:`PARTICLE_VERSION`)."""
    return os.environ.get(VERSION_ENV) or PARTICLE_VERSION


def _downloads(version: str) -> bool:
    try:
        return tuple(int(p) for p in version.split(".")[:3]) >= DOWNLOADS_FROM
    except ValueError:
        return False


def _update(argv: list[str]) -> int | None:
    """``particle update`` as the stand-in's version does it; None when the command line is not its own."""
    version = particle_version()
    if not _downloads(version):
        if argv != ["update"]:
            return None
        # particle-cli v2.16.0 src/cmd/update.js doUpdate(): its words, and nothing about the version.
        out(
            "\n> Your device is ready for a system update.\n> This process should take about 30 seconds. "
            "Here it goes!\n"
        )
        call("update", {})
        out(
            "! System firmware update successfully completed!\n\n> Your device should now restart automatically.\n"
        )
        return 0
    parsed = _options(argv[1:], ("--target",))
    if parsed is None or len(parsed[0]) > 1:
        return None
    target = parsed[1].get("--target")
    usb = call("usb")
    # particle-cli v3.14.0 to v3.49.2 src/cmd/update.js updateDevice(): the words; "latest" is the cloud's choice
    # (not in the sources): here the latest Photon target of ``compile``.
    out(
        f"Updating photon {usb['device_id']} to {f'Device OS version {target}' if target else 'latest Device OS version'}"
    )
    release = str(call("update", {"version": target or LATEST_TARGET})["version"])
    out(f"Downloaded Device OS {release}\nFlash success!\nUpdate success!")
    return 0


def particle(argv: list[str]) -> int:
    """The particle stand-in; returns its exit code."""
    if argv[:1] in (["--version"], ["-v"], ["version"]):
        version = particle_version()
        if version != PARTICLE_VERSION and not _downloads(version):
            sys.stderr.write(
                f"particle (simulated): it stands in for {PARTICLE_VERSION} or 3.14.0 and later\n"
            )
            return 1
        out(version)
        return 0
    cmd = argv[:2]
    try:
        if cmd == ["usb", "list"]:
            usb = call("usb")
            if usb["mode"] != "off":
                out(f"{usb['device_id']} (Photon){' [DFU]' if usb['mode'] == 'dfu' else ''}")
            return 0
        if cmd == ["usb", "dfu"]:
            call("dfu/enter", {})
            out("Done.")
            return 0
        if cmd == ["usb", "reset"]:
            call("reset", {})
            out("Done.")
            return 0
        if argv[:1] == ["compile"]:
            return _compile(argv[1:])
        if cmd == ["flash", "--usb"] and len(argv) == 3:
            return _flash(argv[2])
        if cmd == ["keys", "server"]:
            call("keys/server", {})
            out("Okay!  New keys in place, your device will not restart.")
            return 0
        if cmd == ["keys", "doctor"] and len(argv) == 3:
            return _keys_doctor(argv[2].lower())
        if argv[:1] == ["update"]:
            done = _update(argv)
            if done is not None:
                return done
    except Refused as exc:
        if exc.status == 409:
            return _not_in_dfu() if cmd != ["usb", "dfu"] and cmd != ["usb", "reset"] else _no_device()
        sys.stderr.write(f"Error: {exc.error}\n")
        return 1
    sys.stderr.write(f"particle (simulated): this stand-in does not know '{' '.join(argv)}'\n")
    return 1


def _login() -> tuple[str, str] | None:
    """The CLI's login: ``access_token`` and ``apiUrl`` from ``~/.particle/particle.config.json``, or None."""
    path = os.path.join(os.path.expanduser("~"), ".particle", "particle.config.json")
    try:
        with open(path, encoding="utf-8") as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return None
    token = settings.get("access_token") if isinstance(settings, dict) else None
    if not isinstance(token, str) or not token:
        return None
    return str(settings.get("apiUrl") or "https://api.particle.io"), token


def _send_public_key(device_id: str, pem: str) -> str | None:
    """``POST /v1/provisioning/:id`` with the form particle-cli sends; None on success, else why not."""
    login = _login()
    if login is None:
        return "You're not logged in. Please login using particle cloud login before using this command"
    api_url, token = login
    form = {
        "deviceID": device_id,
        "publicKey": pem,
        "order": f"manual_{int(time.time() * 1000)}",
        "filename": "cli",
        "algorithm": "rsa",
        "access_token": token,
    }
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}/v1/provisioning/{device_id}",
        data=urllib.parse.urlencode(form).encode("ascii"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                body = json.loads(exc.read() or b"{}")
            except ValueError:
                body = {}
        if exc.code == 401:
            return "Invalid token"
        return str(body.get("error") or body.get("errors") or f"HTTP error {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(exc)
    return str(body["error"]) if isinstance(body, dict) and body.get("error") else None


def _keys_doctor(device_id: str) -> int:
    """particle-cli's ``keyDoctor()`` (v2.16.0 ``src/cmd/keys.js``): a new key, written with ``:leave``, then its
    public key sent to the cloud with the CLI's login. A failed upload comes after the write."""
    out("Found DFU device 2b04:d006")
    pem = call("keys/doctor", {"device_id": device_id})["public_key"]
    with open(f"{device_id}_rsa_new.pub.pem", "w", encoding="ascii") as f:
        f.write(pem)
    out("New Key Created!\nattempting to add a new public key for device " + device_id)
    failed = _send_public_key(device_id, pem)
    if failed is not None:
        sys.stderr.write(
            "Make sure your device is in DFU mode (blinking yellow), and that your computer is online.: "
            f"Error sending public key to server: {failed}\n"
        )
        return 1
    out("submitting public key succeeded!\nOkay!  New keys in place, your device should restart.")
    return 0


def _no_device() -> int:
    sys.stderr.write("No devices found.\n")
    return 1


def main(argv: list[str] | None = None) -> int:
    """``python -m photon_doctor.simulator.standin dfu-util|particle ARGS``."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("dfu-util", "particle"):
        sys.stderr.write("usage: python -m photon_doctor.simulator.standin dfu-util|particle ARGS...\n")
        return EX_USAGE
    return dfu_util(args[1:]) if args[0] == "dfu-util" else particle(args[1:])


if __name__ == "__main__":
    sys.exit(main())
