"""Check a plugin zip against the QGIS plugin repository's published upload rules.

    python scripts/check_zip.py dist/casa_nep_plugin-0.1.0.zip [--online]

The rules, as plugins.qgis.org states them for an upload (written here from its
published validator and the PyQGIS cookbook's metadata page):

* at most 25 MB; a valid zip (no CRC errors);
* no absolute paths or ``..``; no ``.pyc`` files; no ``__MACOSX``, ``.git`` or
  ``__pycache__`` folders;
* one top folder, named by ``^[A-Za-z][A-Za-z0-9-_]+$``, holding ``__init__.py``,
  ``metadata.txt`` (section ``[general]``) and ``LICENSE``;
* metadata ``name, description, version, qgisMinimumVersion, author, email, about,
  tracker, repository`` present and non-empty; the author without ``/``; the icon in
  the zip; ``tracker``, ``repository`` and ``homepage`` full URLs (scheme and host),
  reachable (checked with ``--online`` only: the upload rejects unreachable URLs).

Besides the errors (which the upload would refuse), it warns about placeholder
values (``*.invalid`` mail, example hosts, the project's own placeholders) that would
pass the check but must be replaced before a release.  Exit status 1 on errors,
0 otherwise (also with warnings); ``--strict`` makes warnings errors.
"""

from __future__ import annotations

import configparser
import io
import re
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlparse

MAX_BYTES = 25_000_000
REQUIRED = ("name", "description", "version", "qgisMinimumVersion", "author", "email", "about", "tracker", "repository")
FORBIDDEN_DIRS = ("__MACOSX", ".git", "__pycache__")
FORBIDDEN_URLS = {"tracker": "http://bugs", "repository": "http://repo", "homepage": "http://homepage"}
PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-_]+$")
#: Values in metadata.txt today that are not yet real (see its comment).
PROJECT_PLACEHOLDERS = {
    "casa-nep@users.noreply.invalid",
    "https://github.com/casa-nep/casa-nep",
    "https://github.com/casa-nep/casa-nep/issues",
}


def placeholder_warnings(meta: dict[str, str]) -> list[str]:
    """Metadata values that are placeholders (they pass the upload check but are not real)."""
    out = []
    for key in ("email", "homepage", "tracker", "repository"):
        value = meta.get(key, "").strip()
        host = value.rsplit("@", 1)[-1] if key == "email" else (urlparse(value).hostname or "")
        if (
            value in PROJECT_PLACEHOLDERS
            or host.endswith((".invalid", ".example", ".test"))
            or host in ("example.com", "example.org", "localhost")
            or host.startswith("example.")
        ):
            out.append(f"metadata {key}={value} is a placeholder: set the real value in metadata.txt")
    return out


def _reachable(url: str) -> bool:
    import urllib.request

    try:
        req = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "Mozilla/5.0 casa-nep check_zip"})
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status < 400
    except Exception:  # noqa: BLE001 - any failure: the upload would say "cannot be reached"
        return False


def check(path: str | Path, online: bool = False) -> tuple[list[str], list[str]]:  # noqa: C901 - one branch per rule
    """(errors, warnings) for the zip at ``path``."""
    errors: list[str] = []
    warnings: list[str] = []
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        errors.append(f"zip is {path.stat().st_size / 1e6:.1f} MB, more than {MAX_BYTES / 1e6:.0f} MB")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return ["not a zip file"], warnings
    with zf:
        names = zf.namelist()
        for name in names:
            if ".." in name or name.startswith("/"):
                errors.append(f"path information in the zip: {name}")
            if ".pyc" in name:
                errors.append(f"compiled Python file: {name}")
            parts = name.split("/")
            for bad in FORBIDDEN_DIRS:
                if bad in parts:
                    errors.append(f"forbidden folder {bad}: {name}")
        bad_file = zf.testzip()
        if bad_file:
            errors.append(f"corrupt member (CRC): {bad_file}")
        tops = sorted({n.split("/")[0] for n in names})
        if not names or "/" not in names[0]:
            return errors + ["no folder at the top of the zip"], warnings
        if len(tops) > 1:
            warnings.append(f"more than one top-level entry: {', '.join(tops)}")
        package = names[0].split("/")[0]
        if not PACKAGE_RE.match(package):
            errors.append(f"top folder name {package!r} must match {PACKAGE_RE.pattern}")
        for required in ("__init__.py", "metadata.txt", "LICENSE"):
            if f"{package}/{required}" not in names:
                errors.append(f"{package}/{required} missing")
        if f"{package}/metadata.txt" not in names:
            return errors, warnings
        parser = configparser.ConfigParser()
        parser.optionxform = str
        try:
            parser.read_file(io.StringIO(zf.read(f"{package}/metadata.txt").decode("utf-8")))
        except (configparser.Error, UnicodeDecodeError) as exc:
            return errors + [f"metadata.txt cannot be parsed: {exc}"], warnings
        if not parser.has_section("general"):
            return errors + ["metadata.txt has no [general] section"], warnings
        meta = dict(parser.items("general"))
        for key in REQUIRED:
            if not meta.get(key, "").strip():
                errors.append(f"metadata {key} missing or empty")
        if "/" in meta.get("author", ""):
            errors.append("metadata author contains a slash")
        icon = meta.get("icon", "").strip().removeprefix("./")
        if not icon or f"{package}/{icon}" not in names:
            warnings.append(f"icon {icon or '(none)'} not in the zip: the repository shows no icon")
        for key, forbidden in FORBIDDEN_URLS.items():
            url = meta.get(key, "").strip()
            if not url and key == "homepage":
                continue
            parsed = urlparse(url)
            if url == forbidden or not (parsed.scheme and parsed.netloc):
                errors.append(f"metadata {key}={url!r} is not a full URL")
            elif online and not _reachable(url):
                errors.append(f"metadata {key}={url} cannot be reached")
        if not online:
            warnings.append("URLs not checked for reachability (use --online; the upload checks them)")
        warnings.extend(placeholder_warnings(meta))
    return errors, warnings


def main(argv: list[str]) -> int:
    """Print errors and warnings; exit 1 on errors (or on warnings with --strict)."""
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    errors, warnings = check(args[0], online="--online" in argv)
    for w in warnings:
        print(f"WARNING: {w}", file=sys.stderr)
    if any("placeholder" in w for w in warnings):
        bar = "!" * 78
        print(
            f"{bar}\n!!! PLACEHOLDERS in metadata.txt: this zip is not ready for the plugin repository.\n"
            f"!!! Set email, homepage, tracker and repository in casa_nep_plugin/metadata.txt.\n{bar}",
            file=sys.stderr,
        )
    for e in errors:
        print(f"ERROR: {e}", file=sys.stderr)
    if errors or ("--strict" in argv and warnings):
        print(f"{args[0]}: the plugin repository would refuse this zip", file=sys.stderr)
        return 1
    print(f"{args[0]}: passes the plugin repository's upload rules" + (" (with warnings)" if warnings else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
