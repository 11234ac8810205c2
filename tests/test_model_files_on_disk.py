"""Model files on a real file system: permissions, FIFOs, devices, symlinks, long names,
concurrent and killed saves, hostile files refused cheaply and shown escaped."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import nn
from nn import ModelFileError, serialize
from scalargrad import files as _files

ROOT = Path(nn.__file__).resolve().parent.parent  # the checkout the tests import nn from


def _model(seed: int = 0) -> nn.MLP:
    return nn.MLP(2, [3, 1], seed=seed)


def _umask() -> int:
    """The process umask, read without changing it (Linux), else by the set-and-restore trick."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _only(folder: Path, *names: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


# -- permissions ------------------------------------------------------------------------------

def test_save_never_changes_the_process_umask(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """nn.save works without calling os.umask at all (setting it, even for a moment, made any
    file another thread created meanwhile world-writable)."""

    def no_umask(mask: int) -> int:
        raise AssertionError("nn.save changed the process umask")

    monkeypatch.setattr(os, "umask", no_umask)
    nn.save(_model(), tmp_path / "m.json")
    assert nn.load(tmp_path / "m.json").state_dict() == _model().state_dict()


def test_new_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    """A new model file is 0o666 & ~umask, like any file a program creates."""
    path = tmp_path / "m.json"
    nn.save(_model(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_resave_keeps_the_existing_permissions(tmp_path: Path, mode: int) -> None:
    """Saving over a file the user made private (0600) keeps it private (it became 0644)."""
    path = tmp_path / "m.json"
    nn.save(_model(), path)
    os.chmod(path, mode)
    nn.save(_model(1), path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert nn.load(path).state_dict() == _model(1).state_dict()


# -- what a model file may be -----------------------------------------------------------------

def test_save_onto_a_fifo_is_refused_and_the_fifo_stays(tmp_path: Path) -> None:
    """A FIFO is not replaced by a regular file; the error says what it is."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO") as info:
        nn.save(_model(), fifo)
    assert info.value.filename == str(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    _only(tmp_path, "pipe")


def test_load_of_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """nn.load refuses a FIFO from its stat, before open() (which blocked forever)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            nn.load(fifo)
            outcome.append(None)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            outcome.append(e)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10.0)
    if worker.is_alive():  # release the blocked open() with a writer, then fail
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(5.0)
        pytest.fail("nn.load blocked on a FIFO")
    assert isinstance(outcome[0], OSError) and "FIFO" in str(outcome[0])


def _mknod(path: Path, kind: int, device: int) -> None:
    try:
        os.mknod(path, kind | 0o666, device)
    except (PermissionError, AttributeError, OSError) as e:
        pytest.skip(f"cannot make a device node here: {e}")


@pytest.mark.parametrize("kind,name", [(stat.S_IFCHR, "character device"),
                                       (stat.S_IFBLK, "block device")])
def test_device_nodes_are_refused_by_save_and_load(tmp_path: Path, kind: int,
                                                   name: str) -> None:
    """A device node (here a copy of /dev/null's numbers, made in a temporary folder) is
    neither replaced by nn.save nor opened by nn.load."""
    node = tmp_path / "dev"
    _mknod(node, kind, os.makedev(1, 3) if kind == stat.S_IFCHR else os.makedev(7, 250))
    with pytest.raises(OSError, match=name):
        nn.save(_model(), node)
    assert stat.S_IFMT(os.lstat(node).st_mode) == kind
    with pytest.raises(OSError, match=name):
        nn.load(node)
    _only(tmp_path, "dev")


def test_socket_is_refused(tmp_path: Path) -> None:
    """A Unix socket is not a model file either."""
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(OSError, match="socket"):
            nn.save(_model(), path)
        with pytest.raises(OSError, match="socket"):
            nn.load(path)


def test_save_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    """Decided: a link to a regular file is followed; the file it points to is replaced."""
    real = tmp_path / "models" / "real.json"
    real.parent.mkdir()
    nn.save(_model(0), real)
    link = tmp_path / "current.json"
    link.symlink_to(real)
    nn.save(_model(1), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert nn.load(real).state_dict() == _model(1).state_dict()
    _only(real.parent, "real.json")
    _only(tmp_path, "models", "current.json")


def test_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    """Following a link does not get around the regular-file check."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "m.json"
    link.symlink_to(fifo)
    with pytest.raises(OSError, match="FIFO"):
        nn.save(_model(), link)
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)


def test_a_255_byte_name_works(tmp_path: Path) -> None:
    """The longest name the file system allows can be saved and loaded (the temp name used
    to be longer than the target's: "File name too long")."""
    path = tmp_path / ("m" * 250 + ".json")
    assert len(path.name.encode()) == 255
    nn.save(_model(), path)
    assert nn.load(path).state_dict() == _model().state_dict()
    _only(tmp_path, path.name)


def test_save_creates_missing_folders(tmp_path: Path) -> None:
    """nn.save("out/deeper/m.json") creates out/deeper, as the image writers do."""
    path = tmp_path / "out" / "deeper" / "m.json"
    nn.save(_model(), path)
    assert nn.load(path).state_dict() == _model().state_dict()


def test_file_errors_name_the_path_the_user_gave(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError from saving names the user's path, never a temporary file's."""
    too_long = tmp_path / ("m" * 256)
    with pytest.raises(OSError) as info:
        nn.save(_model(), too_long)
    assert info.value.errno == errno.ENAMETOOLONG and info.value.filename == str(too_long)

    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(NotADirectoryError) as info:
        nn.save(_model(), blocker / "m.json")
    assert info.value.filename == str(blocker / "m.json")
    assert "file.txt" in str(info.value)

    def cross_device(src: str, dst: str) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), src, dst)

    monkeypatch.setattr(serialize.os, "replace", cross_device)
    path = tmp_path / "m.json"
    with pytest.raises(OSError) as info:
        nn.save(_model(), path)
    assert info.value.errno == errno.EXDEV and info.value.filename == str(path)
    assert "sgtmp" not in str(info.value) and ".tmp" not in str(info.value)
    _only(tmp_path, "file.txt")


def test_load_errors_name_the_path(tmp_path: Path) -> None:
    """A missing file or a folder: the OSError names the path given."""
    with pytest.raises(FileNotFoundError) as info:
        nn.load(tmp_path / "nope.json")
    assert info.value.filename == str(tmp_path / "nope.json")
    with pytest.raises(IsADirectoryError):
        nn.load(tmp_path)


# -- concurrent and killed saves --------------------------------------------------------------

def test_concurrent_saves_from_threads_leave_one_whole_file(tmp_path: Path) -> None:
    """Eight threads saving different models to one path: the file is always one of them,
    whole, and no temp file is left."""
    path = tmp_path / "m.json"
    models = [_model(seed) for seed in range(8)]
    states = [m.state_dict() for m in models]
    errors: list[BaseException] = []

    def work(m: nn.MLP) -> None:
        try:
            for _ in range(5):
                nn.save(m, path)
                assert nn.load(path).state_dict() in states
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert nn.load(path).state_dict() in states
    _only(tmp_path, "m.json")


def _python(code: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_concurrent_saves_from_processes_leave_one_whole_file(tmp_path: Path) -> None:
    """Three processes saving to one path at once: always a whole file, no temp file left."""
    path = tmp_path / "m.json"
    procs = [_python(f"""
        import nn
        m = nn.MLP(2, [3, 1], seed={seed})
        for _ in range(10):
            nn.save(m, {str(path)!r})
            nn.load({str(path)!r})
        """) for seed in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert nn.load(path).state_dict() in [_model(seed).state_dict() for seed in range(3)]
    _only(tmp_path, "m.json")


def test_sigkill_mid_save_leaves_the_old_file_and_the_next_save_cleans_up(
        tmp_path: Path) -> None:
    """A save killed between writing and renaming leaves the old file intact and a temp file
    named as ours; the next save to that path removes it."""
    path = tmp_path / "m.json"
    nn.save(_model(0), path)
    old = path.read_bytes()
    child = _python(f"""
        import os, sys, time
        import nn
        from nn import serialize

        def hang(fd):
            sys.stdout.write("written\\n")
            sys.stdout.flush()
            time.sleep(600)

        serialize.os.fsync = hang
        nn.save(nn.MLP(2, [3, 1], seed=1), {str(path)!r})
        """)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"written\n", child.stderr.read().decode()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "m.json")
    assert len(left) == 1 and left[0].startswith(_files.TEMP_PREFIX), left
    assert path.read_bytes() == old
    nn.save(_model(2), path)
    _only(tmp_path, "m.json")
    assert nn.load(path).state_dict() == _model(2).state_dict()


def test_saves_killed_at_random_moments_leave_nothing_after_the_next_save(
        tmp_path: Path) -> None:
    """Processes saving in a loop, SIGKILLed at arbitrary moments (the report: 28 temp files
    after 60 kills): the file is always a whole model, and one more save leaves it alone."""
    path = tmp_path / "m.json"
    nn.save(_model(0), path)
    states = [_model(seed).state_dict() for seed in range(2)]
    for delay in (0.05, 0.2, 0.35, 0.5, 0.8):
        child = _python(f"""
            import nn
            m = nn.MLP(2, [3, 1], seed=1)
            while True:
                nn.save(m, {str(path)!r})
            """)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        assert nn.load(path).state_dict() in states
    nn.save(_model(0), path)
    _only(tmp_path, "m.json")


def test_live_and_foreign_temp_files_are_not_removed(tmp_path: Path) -> None:
    """Clean-up removes only our temp files for this target whose process is gone (or that
    are old): a save in progress elsewhere, another target's and a user's files stay."""
    path = tmp_path / "m.json"
    tag = _files._target_tag(os.path.realpath(path))
    other = _files._target_tag(os.path.realpath(tmp_path / "other.json"))
    host = _files._HOST
    live = f"{_files.TEMP_PREFIX}{tag}-{host}-{os.getpid()}-00000000.tmp"  # "in progress"
    foreign = f"{_files.TEMP_PREFIX}{other}-{host}-999999999-00000000.tmp"
    mine_old = f"{_files.TEMP_PREFIX}{tag}-ffff-1-00000000.tmp"  # another host, old
    for name in (live, foreign, mine_old, "notes.tmp"):
        (tmp_path / name).write_text("x")
    long_ago = time.time() - _files.STALE_SECONDS - 60
    os.utime(tmp_path / mine_old, (long_ago, long_ago))
    nn.save(_model(), path)
    _only(tmp_path, "m.json", live, foreign, "notes.tmp")


# -- hostile files ----------------------------------------------------------------------------

def _doc(arch: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"format": "scalargrad.nn", "version": 1, "architecture": arch, "parameters": params}


def test_count_matching_hostile_file_is_refused_without_building_the_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLP(1, [1]*50000) with 100,000 junk names: refused before any module is made, with a
    short message that says how many more names there are (it used to build the model first:
    seconds, +30 MB, and a 150 KB message)."""
    built: list[str] = []
    for name in ("MLP", "Layer", "Neuron"):
        real = getattr(serialize, name)
        monkeypatch.setattr(serialize, name,
                            lambda *a, _n=name, _r=real, **k: built.append(_n) or _r(*a, **k))
    arch = {"type": "MLP", "nin": 1, "nouts": [1] * 50000, "activation": "relu"}
    params = {f"junk{i}": 0.5 for i in range(100000)}
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(_doc(arch, params)))
    with pytest.raises(ModelFileError) as info:
        nn.load(path)
    assert built == []
    message = str(info.value)
    assert len(message) < 1000, len(message)
    assert "100,000 unexpected" in message and "and 99,997 more" in message
    assert "100,000 missing" in message
    # a file that fits is still loaded (through the same patched constructors)
    nn.save(_model(), tmp_path / "ok.json")
    assert nn.load(tmp_path / "ok.json").state_dict() == _model().state_dict()
    assert built == ["MLP"]


def test_huge_architecture_in_messages_is_cut(tmp_path: Path) -> None:
    """A count mismatch with a 50,000-wide nouts list gives a short message."""
    arch = {"type": "MLP", "nin": 1, "nouts": [1] * 50000, "activation": "relu"}
    path = tmp_path / "h.json"
    path.write_text(json.dumps(_doc(arch, {"w.0": 1.0})))
    with pytest.raises(ModelFileError, match="100,000 parameters, but the file lists 1") as info:
        nn.load(path)
    assert len(str(info.value)) < 1000


HOSTILE_NAME = "\x1b[31mred\nline\ud800\u202e"


def test_hostile_names_are_shown_escaped(tmp_path: Path) -> None:
    """ESC, newline, a lone surrogate and a right-to-left override in a parameter name reach
    the message escaped: printable, one line, encodable as UTF-8."""
    state = _model().state_dict()
    state.pop("layers.1.neurons.0.b")
    state[HOSTILE_NAME] = 0.5
    path = tmp_path / "h.json"
    path.write_text(json.dumps(_doc(_model().config(), state)))  # json escapes the surrogate
    for load in (lambda: nn.load(path), lambda: _model().load(path),
                 lambda: _model().load_state(state)):
        with pytest.raises(ModelFileError) as info:
            load()
        message = str(info.value)
        assert "\x1b" not in message and "\n" not in message and "\u202e" not in message
        message.encode("utf-8")  # a lone surrogate would raise here
        assert "\\x1b[31mred\\nline\\ud800\\u202e" in message


def test_hostile_values_and_keys_are_shown_escaped_and_cut(tmp_path: Path) -> None:
    """A hostile format string, activation or duplicate key is escaped and cut short."""
    cases = [
        {"format": HOSTILE_NAME * 10000, "version": 1, "architecture": None, "parameters": {}},
        _doc({"type": "MLP", "nin": 1, "nouts": [1], "activation": HOSTILE_NAME * 1000}, {}),
    ]
    for i, doc in enumerate(cases):
        path = tmp_path / f"h{i}.json"
        path.write_text(json.dumps(doc))
        with pytest.raises(ModelFileError) as info:
            nn.load(path)
        message = str(info.value)
        assert "\x1b" not in message and "\n" not in message and len(message) < 1000
        message.encode("utf-8")
    path = tmp_path / "dup.json"
    key = json.dumps(HOSTILE_NAME)
    path.write_text('{' + f'{key}: 1, {key}: 2' + '}')
    with pytest.raises(ModelFileError, match="appears twice") as info:
        nn.load(path)
    assert "\x1b" not in str(info.value)
