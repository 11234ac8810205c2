"""Where a build puts the site: a new folder, a previous build's (whose manifest.json lists
the files it wrote: only those are replaced, every other file in the folder is the teacher's
and is kept), or a mount point (updated in place). The site is written into a staging folder
first, so a build that fails changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


class BuildError(Exception):
    """The site could not be built, and nothing in the target folder was lost: the message
    names what was wrong and what to do."""


def previous_build(out: Path) -> set[str]:
    """The files a previous build wrote into `out` (as its manifest.json lists them, with the
    manifest itself); empty for a new or empty folder. BuildError for anything else."""
    if not out.exists():
        return set()
    if not out.is_dir():
        raise BuildError(f"{out} is a file, not a folder: give a folder for the site (a new "
                         "one, or one holding a previous build)")
    if not writable(out):
        raise BuildError(f"cannot write in {out}: it is read-only (or not yours); give a "
                         "folder you can write to")
    try:
        empty = not any(os.scandir(out))
        text = (out / "manifest.json").read_text(encoding="utf-8") \
            if (out / "manifest.json").is_file() else None
    except (OSError, UnicodeDecodeError) as e:
        raise BuildError(f"cannot read {out}: {e}") from e
    if empty:
        return set()
    pick = "a new or empty folder, e.g. " + str(out / "site")
    if text is None:
        raise BuildError(f"{out} is not empty and holds no previous build of the site (no "
                         f"manifest.json): give {pick}; nothing was changed")
    try:
        manifest = json.loads(text)
        files = set(manifest["files"]) if "scalargrad" in manifest else None
    except (ValueError, TypeError, KeyError):
        files = None
    if files is None or not all(isinstance(f, str) for f in files):
        raise BuildError(f"{out / 'manifest.json'} is not the manifest of a workshop build, so "
                         f"which files in {out} a build wrote is unknown: give {pick}; "
                         "nothing was changed")
    return files | {"manifest.json"}


def writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def stage(out: Path, in_place: bool) -> Path:
    """A new empty folder to write the site into: inside `out` for a build in place, else
    beside it (on the same file system, so that it can be renamed into place)."""
    parent = out if in_place else out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name or 'site'}.building-", dir=parent))
    except OSError as e:
        raise BuildError(f"cannot write in {parent}: {e.strerror or e}; give a folder you "
                         "can write to") from e


def ancestors(path: str) -> list[str]:
    """The folders above a relative path: "a/b/c" -> ["a", "a/b"]."""
    parts = path.split("/")
    return ["/".join(parts[:k]) for k in range(1, len(parts))]


def foreign_files(out: Path, previous: set[str], manifest: dict[str, Any],
             skip: str | None) -> list[str]:
    """What is in `out` that no previous build wrote (the teacher's), as paths relative to
    it; a folder of such files counts as one. BuildError if the new site writes any of them."""
    if not previous:
        return []
    new = set(manifest["files"]) | {"manifest.json"}
    new_folders = {a for f in new for a in ancestors(f)}
    folders = {a for f in previous for a in ancestors(f)} | new_folders
    found, todo = [], [""]
    while todo:
        rel = todo.pop()
        for entry in os.scandir(out / rel):
            path = f"{rel}/{entry.name}" if rel else entry.name
            if path == skip or (path in previous and not entry.is_dir(follow_symlinks=False)):
                continue
            if path in folders and entry.is_dir(follow_symlinks=False):
                todo.append(path)
                continue
            found.append(path)
    for path in sorted(found):
        if path in new or path in new_folders or any(a in new for a in ancestors(path)):
            raise BuildError(f"{out / path} was not written by a previous build (manifest.json "
                             "does not list it), and the site has a file of that name: move "
                             "or rename yours, then build again; nothing was changed")
    return sorted(found)


def swap(stage: Path, out: Path, foreign: list[str]) -> None:
    """Put the site built in `stage` in the place of `out`, moving the teacher's files
    (`foreign`) across; then delete the previous build."""
    try:
        if not out.exists():
            os.rename(stage, out)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.previous-", dir=out.parent))
    except OSError as e:
        shutil.rmtree(stage, ignore_errors=True)
        raise BuildError(f"cannot put the site in {out}: {e.strerror or e}; nothing was "
                         "changed") from e
    try:
        os.rename(out, old)  # onto an empty folder: allowed
    except OSError as e:
        shutil.rmtree(stage, ignore_errors=True)
        old.rmdir()
        raise BuildError(f"cannot replace {out}: {e.strerror or e}; nothing was changed (if "
                         "it is a mount point or in use, build into a sub-folder of it)") from e
    try:
        os.rename(stage, out)
    except OSError as e:
        os.rename(old, out)
        shutil.rmtree(stage, ignore_errors=True)
        raise BuildError(f"cannot replace {out}: {e.strerror or e}; nothing was changed") from e
    try:
        for path in foreign:
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            os.rename(old / path, out / path)
    except OSError as e:
        raise BuildError(f"the new site is in {out}, but moving your own files into it "
                         f"failed ({e}): the rest of them are still in {old}") from e
    try:
        shutil.rmtree(old)
    except OSError as e:
        raise BuildError(f"the new site is in {out}, but the previous build (now in {old}, "
                         f"none of your files) could not be deleted: {e}") from e


def update_in_place(stage: Path, out: Path, previous: set[str],
                     manifest: dict[str, Any]) -> None:
    """Move the site built in `stage` (inside `out`) into `out` file by file, then delete
    the previous build's files that the new one has not; nothing else in `out` is touched."""
    new = sorted(manifest["files"])
    try:
        # Until the end, a manifest listing both builds: a build stopped half-way leaves no
        # file of either that a next build would take for the teacher's.
        both = dict(manifest, files={f: {} for f in set(new) | previous - {"manifest.json"}})
        write_json(out / "manifest.json", both)
        for path in new:
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / path, out / path)
        for path in sorted(previous - set(new) - {"manifest.json"}, reverse=True):
            (out / path).unlink(missing_ok=True)
        for folder in sorted({a for f in previous for a in ancestors(f)}, reverse=True):
            if not (out / folder).is_dir() or any(os.scandir(out / folder)):
                continue
            (out / folder).rmdir()
        write_json(out / "manifest.json", manifest)
        shutil.rmtree(stage)
    except OSError as e:
        raise BuildError(f"updating {out} in place failed half-way ({e}); none of your own "
                         "files was touched: build again") from e


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
