"""write_atomic, the one way the project writes a file: a recognisable temp file beside the
target, fsync, rename, fsync the folder. Readers see the old file or the new one, never half;
a killed writer's temp file is removed by the next write of the same target; the file's mode
follows the umask (mkstemp's 0600 would not)."""

import glob
import os
import secrets
from pathlib import Path


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    if os.name != "posix":  # no harmless probe elsewhere (os.kill ends the process on Windows)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: the process exists under another user
        return True
    return True


def remove_stale_temps(path) -> list:
    """Delete the temp files that killed writers of path left behind; returns their paths."""
    path = Path(path)
    removed = []
    for name in glob.glob(glob.escape(str(path.with_name(f".{path.name}.tmp-"))) + "*"):
        pid = Path(name).name.rsplit(".tmp-", 1)[1].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            Path(name).unlink(missing_ok=True)
            removed.append(Path(name))
    return removed


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)  # so the rename itself survives a power cut
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still done
    finally:
        os.close(fd)


def write_atomic(path, data, parents: bool = False) -> Path:
    """Write bytes, text or what data(file) writes to path atomically; returns the path.
    parents=True makes the missing folders first."""
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = _temp_name(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        # mode 0o666 lets the umask decide, as open() does (mkstemp would force 0600)
        with os.fdopen(os.open(tmp, flags, 0o666), "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.filename is None or e.filename == str(tmp):  # e.g. a full disk names no path
            raise OSError(e.errno, e.strerror or str(e), str(path)) from e
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path
