"""Reading and writing files safely: one policy for every file the project writes (model
files, pages, graph pictures).

A write goes to a temporary file (`.sgtmp-…`) in the target's folder, is flushed to disk and
renamed over the target (`os.replace`), so a crash mid-write leaves the old file intact;
leftovers of a killed write are removed by the next write to the same file. A symlink is
followed (the link stays), a FIFO, device or folder is refused, an existing file keeps its
permissions and (where allowed) its owner, and a new one gets what the umask gives. A read
opens regular files only, checked before `open()`. Errors name the path the caller gave.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import stat
import time
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]

TEMP_PREFIX = ".sgtmp-"  # + hash of the target, host, pid, random: short, so a 255-byte
TEMP_SUFFIX = ".tmp"     # target name still fits, and recognisable as ours
STALE_SECONDS = 600.0    # a temp file this old is a leftover even if its pid was reused
_OS_FLAGS = vars(os)  # the flags a platform lacks count as 0
_O_CLOEXEC = _OS_FLAGS.get("O_CLOEXEC", 0)
_O_NOFOLLOW = _OS_FLAGS.get("O_NOFOLLOW", 0)
_O_NONBLOCK = _OS_FLAGS.get("O_NONBLOCK", 0)
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:4]


def named(e: OSError, where: str, context: str | None = None) -> OSError:
    """The same error (same type and errno), naming the path the user gave."""
    reason = e.strerror or str(e)
    return OSError(e.errno, f"{reason} ({context})" if context else reason, where)


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def not_regular(st: os.stat_result, where: str, consequence: str) -> OSError:
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    if stat.S_ISDIR(st.st_mode):
        return IsADirectoryError(errno.EISDIR, f"Is a directory; {consequence}", where)
    return OSError(errno.EINVAL, f"this is {kind}, not a regular file; {consequence}", where)


def read_regular(where: str, limit: int, refusal: str) -> bytes:
    """At most `limit` + 1 bytes of `where`, which must be a regular file (else an OSError
    naming it and ending with `refusal`)."""
    try:
        st = os.stat(where)
    except OSError as e:
        raise named(e, where) from None
    if not stat.S_ISREG(st.st_mode):
        raise not_regular(st, where, f"{refusal} (it was not opened)")
    try:  # O_NONBLOCK: if it was swapped for a FIFO since the stat, open cannot block
        fd = os.open(where, os.O_RDONLY | _O_CLOEXEC | _O_NONBLOCK | _OS_FLAGS.get("O_BINARY", 0))
    except OSError as e:
        raise named(e, where) from None
    with open(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(st, where, refusal)
        try:
            return f.read(limit + 1)
        except OSError as e:
            raise named(e, where) from None


def _target_tag(target: str) -> str:
    return hashlib.sha256(os.fsencode(target)).hexdigest()[:12]


def _remove_stale_temp_files(folder: str, tag: str) -> None:
    """Delete our temp files for this target left by a save that was killed: their process
    is gone (same host), or they are older than STALE_SECONDS. Best effort, never raises."""
    prefix = f"{TEMP_PREFIX}{tag}-"
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(TEMP_SUFFIX)]
    except OSError:
        return
    now = time.time()
    for name in names:
        parts = name[len(prefix):-len(TEMP_SUFFIX)].split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        dead = parts[0] == _HOST and not _alive(int(parts[1]))
        if dead or now - st.st_mtime > STALE_SECONDS:
            try:
                os.unlink(path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, and belongs to someone else
        return True
    return True


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    """Give the new file the old one's owner (where permitted) and then its permission bits."""
    if hasattr(os, "fchown") and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except OSError:
            pass  # not permitted: the file becomes ours, as any rewrite would make it
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _sync_folder(folder: str) -> None:
    """Make the rename durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | _O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: PathLike, text: str, refusal: str) -> None:
    """Write `text` (UTF-8) to `path`, atomically, creating missing parent folders; a path
    that is not a regular file is refused with an OSError ending with `refusal`."""
    where = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(where))
    try:
        os.makedirs(parent, exist_ok=True)
    except FileExistsError:  # the folder's name is taken by a file
        raise NotADirectoryError(errno.ENOTDIR, f"Not a directory ({os.path.dirname(where)!r} "
                                 "is a file, so nothing can be saved in it)", where) from None
    except OSError as e:
        raise named(e, where, f"cannot create the folder {os.path.dirname(where)!r}") from None
    target = os.path.realpath(where)  # through any symlink: replace the file, keep the link
    try:
        old: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as e:
        raise named(e, where) from None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise not_regular(old, where, refusal)
    folder = os.path.dirname(target)
    tag = _target_tag(target)
    _remove_stale_temp_files(folder, tag)
    tmp = os.path.join(folder, f"{TEMP_PREFIX}{tag}-{_HOST}-{os.getpid()}-{os.urandom(4).hex()}"
                               f"{TEMP_SUFFIX}")
    # The kernel applies the umask to the mode given here, so a new file gets exactly the
    # permissions any other new file would (the umask is never read or changed). Over an
    # existing file, start from its own bits so a private (0600) file is never readable by
    # others, even for a moment.
    mode = stat.S_IMODE(old.st_mode) & 0o777 if old is not None else 0o666
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC | _O_NOFOLLOW, mode)
    except OSError as e:
        raise named(e, where) from None
    try:
        try:
            f = os.fdopen(fd, "w", encoding="utf-8")
        except BaseException:
            os.close(fd)
            raise
        with f:
            if old is not None:
                _keep_owner_and_mode(fd, old)  # f owns fd now: closed on any error
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError) and e.errno is not None:
            raise named(e, where) from None
        raise
    _sync_folder(folder)
