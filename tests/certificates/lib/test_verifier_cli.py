"""The offline verifier as an inspector runs it: the one file copied elsewhere, no network, nothing
from the LIMS, one exit status per verdict."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from certificates import verifier

from .conftest import flip_byte, signed_ranges, write_revocation_list

VERIFIER = Path(verifier.__file__)
PROJECT = VERIFIER.parents[1]

# Loaded by every interpreter started below: opening a connection raises, and so does importing
# anything from the LIMS (the modules listed in BLOCKED_IMPORTS).
SITECUSTOMIZE = """
import os, socket, sys

def _refuse(*args, **kwargs):
    raise OSError("network disabled: the offline verifier must not connect")

socket.socket.connect = socket.socket.connect_ex = socket.create_connection = _refuse

class _Blocked:
    blocked = set(os.environ.get("BLOCKED_IMPORTS", "").split(","))

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ImportError(f"the offline verifier imported {name}")

sys.meta_path.insert(0, _Blocked())
"""


def _network_namespace_available() -> bool:
    unshare = shutil.which("unshare")
    return bool(unshare) and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """Run a command with no network: in a network namespace of its own where possible, and always
    with the socket guard above."""
    guard = tmp_path_factory.mktemp("guard")
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
    prefix = ["unshare", "-n"] if _network_namespace_available() else []

    def offline(*args, cwd: Path, blocked: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(guard), "BLOCKED_IMPORTS": blocked, "LANG": lang}
        return subprocess.run(
            [*prefix, sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    return offline


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """The verifier copied on its own into an inspector's folder."""
    folder = tmp_path_factory.mktemp("inspector")
    shutil.copy(VERIFIER, folder / "verifier.py")
    return folder


def published_keys(directory: Path, published: Path, **entries) -> Path:
    """A copy of the published material with its own revocation list."""
    shutil.copytree(published, directory)
    write_revocation_list(directory, **entries)
    return directory


@pytest.fixture
def specimens(genuine, signed_by_foreign_ca, pasted_token, published, kit, tmp_path, lab):
    """(file, keys directory, expected exit status) for every verdict."""
    number = "KZL-2026-000417"
    revoked = published_keys(
        tmp_path / "keys-revoked", published, revoked=[{"number": number, "at": "2026-11-25", "reason": "wrong lot"}]
    )
    superseded = published_keys(
        tmp_path / "keys-superseded",
        published,
        superseded=[{"number": number, "by": "KZL-2026-000500", "at": "2026-11-26"}],
    )
    start, length, _, _ = signed_ranges(genuine.pdf)
    files = {
        "genuine.pdf": genuine.pdf,
        "forged.pdf": signed_by_foreign_ca,
        "altered.pdf": flip_byte(genuine.pdf, start + length // 2),
        "pasted.pdf": pasted_token,
    }
    for name, data in files.items():
        (kit / name).write_bytes(data)
    return {
        "authentic": ("genuine.pdf", published, 0),
        "revoked": ("genuine.pdf", revoked, 3),
        "superseded": ("genuine.pdf", superseded, 4),
        "not_ours": ("forged.pdf", published, 5),
        "altered": ("altered.pdf", published, 6),
        "invalid": ("pasted.pdf", published, 7),
    }


@pytest.mark.parametrize("verdict", ["authentic", "revoked", "superseded", "not_ours", "altered", "invalid"])
def test_the_copied_script_gives_each_verdict_its_exit_status(specimens, kit, offline, verdict):
    name, keys_dir, expected = specimens[verdict]

    result = offline("verifier.py", name, "--keys", str(keys_dir), cwd=kit, blocked="django,lims,certificates")

    assert result.returncode == expected, result.stdout + result.stderr
    assert result.stderr == ""
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith(f"{verdict.upper()}: ")
    assert verifier.EXIT_CODES[verdict] == expected


def test_the_verdict_is_one_plain_line_and_details(specimens, kit, offline):
    name, keys_dir, _ = specimens["revoked"]

    result = offline("verifier.py", name, "--keys", str(keys_dir), cwd=kit, blocked="django,lims,certificates")

    lines = result.stdout.splitlines()
    assert lines[0] == "REVOKED: KZL-2026-000417: revoked on 2026-11-25: wrong lot"
    assert "  lot: LOT-2026-000417" in lines
    assert result.stderr == ""


def test_it_runs_as_a_module_of_the_project(specimens, kit, offline):
    name, keys_dir, _ = specimens["authentic"]

    result = offline(
        "-m", "certificates.verifier", str(kit / name), "--keys", str(keys_dir), cwd=PROJECT, blocked="django,lims"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("AUTHENTIC: KZL-2026-000417: issued by the laboratory, unchanged and current")


def test_a_tampered_revocation_list_stops_verification(specimens, kit, offline, published, tmp_path):
    name, _, _ = specimens["authentic"]
    tampered = tmp_path / "keys-tampered"
    shutil.copytree(published, tampered)
    signed = json.loads((tampered / "revocations.json").read_text())
    signed["payload"]["issued_at"] = "2027-01-01T00:00:00+05:00"  # passed off as fresher
    (tampered / "revocations.json").write_text(json.dumps(signed))

    result = offline("verifier.py", name, "--keys", str(tampered), cwd=kit, blocked="django,lims,certificates")

    assert result.returncode == 8
    assert "status list's signature does not verify" in result.stdout


def test_without_a_status_list_the_status_is_unknown(specimens, kit, offline, published, tmp_path):
    name, _, _ = specimens["authentic"]
    without = tmp_path / "keys-without"
    shutil.copytree(published, without)
    (without / "revocations.json").unlink()

    refused = offline("verifier.py", name, "--keys", str(without), cwd=kit, blocked="django,lims,certificates")
    skipped = offline(
        "verifier.py", name, "--keys", str(without), "--skip-revocation", cwd=kit, blocked="django,lims,certificates"
    )

    # Without a list the kit never says "authentic and current": status unknown, exit 9.
    assert refused.returncode == skipped.returncode == 9
    assert refused.stdout.startswith(
        "UNKNOWN_STATUS: KZL-2026-000417: authentic; current status unknown (no status list)"
    )


def test_bad_arguments_are_a_usage_error(kit, offline):
    result = offline("verifier.py", "genuine.pdf", cwd=kit, blocked="django,lims,certificates")

    assert result.returncode == 2
    assert "--keys" in result.stderr
