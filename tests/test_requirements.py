"""requirements.lock is in step with requirements.txt, hashed, and what every install uses."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", flags=re.MULTILINE)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, version in PIN.findall(path.read_text(encoding="utf-8")):
        found.setdefault(normalize(name), set()).add(version)
    return found


def test_every_top_level_pin_is_locked_at_its_version():
    locked = pins(ROOT / "requirements.lock")
    for name, versions in pins(ROOT / "requirements.txt").items():
        assert locked.get(name) == versions, (
            f"{name}: run `make lock` after changing requirements.txt"
        )


def test_every_locked_package_has_a_hash():
    entries = re.split(
        r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text(encoding="utf-8")
    )
    packages = [e for e in entries if PIN.match(e)]
    assert len(packages) > len(pins(ROOT / "requirements.txt"))  # the dependencies are there too
    for entry in packages:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_no_deps_packages_stay_out_of_the_lock():
    # Their own dependencies would pull opencv-python in beside opencv-python-headless.
    locked = pins(ROOT / "requirements.lock")
    models = pins(ROOT / "requirements-models.txt")
    assert models and not set(models) & set(locked)
    assert "opencv-python" not in locked


def test_make_and_ci_install_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes -r requirements.lock" in makefile
    assert "-r requirements.txt" not in makefile
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        text = workflow.read_text(encoding="utf-8")
        assert "requirements.txt" not in text, workflow.name
        assert "make " in text or "-r requirements.lock" in text, workflow.name
