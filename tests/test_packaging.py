"""What `pip install graphc` installs: graphc, graphc.passes and graphc.backends, every subpackage."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"graphc": "graphc", "graphc.passes": "passes", "graphc.backends": "backends"}


def _settings() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_the_folders_install_under_the_graphc_name():
    assert _settings()["package-dir"] == FOLDERS


def test_every_package_folder_is_listed_in_pyproject():
    found = set()
    for package, folder in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *parts)))
    assert found == set(_settings()["packages"])
