"""Safe file writing: atomic replacement, no-clobber publishing, hashing.

Every output is first written to a temporary file in the destination folder
and then renamed, so a reader never sees half a file and a crash never leaves
one behind under the final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "link_exclusive",
    "sha256_file",
    "unique_stem",
]


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600 files; published files get the usual umask-based mode.
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield Path(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Destination file.
    data : bytes
        Content.
    overwrite : bool, default True
        When False, an existing ``path`` is never replaced and
        :class:`FileExistsError` is raised instead (race-free: the final name
        is claimed with a hard link, which fails if it exists).

    Returns
    -------
    Path
        The destination.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_bytes(d / "a.txt", b"one").read_bytes()
    b'one'
    >>> atomic_write_bytes(d / "a.txt", b"two", overwrite=False)
    Traceback (most recent call last):
    ...
    FileExistsError: ...
    """
    path = Path(path)
    with _temporary_beside(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            link_exclusive(tmp, path)
    return path


def atomic_write_text(
    path: str | os.PathLike, text: str, *, overwrite: bool = True, encoding: str = "utf-8"
) -> Path:
    """Write ``text`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode(encoding), overwrite=overwrite)


def link_exclusive(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Give ``src`` the name ``dst`` unless ``dst`` exists (then FileExistsError).

    ``os.link`` fails atomically when the target exists, unlike ``os.rename``
    which would silently replace it on POSIX.
    """
    try:
        os.link(src, dst)
    except FileExistsError:
        raise FileExistsError(f"{dst} already exists; it is never overwritten") from None
    except OSError:
        # File systems without hard links: fall back to a checked rename.
        if os.path.exists(dst):
            raise FileExistsError(f"{dst} already exists; it is never overwritten") from None
        os.replace(src, dst)


def unique_stem(
    folder: Path, stem: str, suffixes: tuple[str, ...], taken: set[str] = frozenset()
) -> str:
    """Return ``stem`` or the first ``stem-2``, ``stem-3`` … free for every suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "city-nghia-lo.ipynb").write_text("{}")
    >>> unique_stem(d, "city-nghia-lo", (".ipynb", ".html"))
    'city-nghia-lo-2'
    """
    n = 1
    while True:
        candidate = stem if n == 1 else f"{stem}-{n}"
        if candidate not in taken and not any(
            (folder / f"{candidate}{s}").exists() for s in suffixes
        ):
            return candidate
        n += 1


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
