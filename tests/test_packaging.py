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


def test_the_explorer_assets_and_vendored_files_ship_with_the_package():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    viz = ROOT / "graphc" / "viz"
    files = [p for folder in ("assets", "vendor") for p in (viz / folder).iterdir() if p.is_file()]
    assert files
    unshipped = [str(p.relative_to(viz)) for p in files
                 if not any(p.relative_to(viz).match(glob) for glob in patterns["graphc.viz"])]
    assert not unshipped, f"add these to [tool.setuptools.package-data]: {unshipped}"
