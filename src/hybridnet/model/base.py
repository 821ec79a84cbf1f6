"""Shared building blocks of the topology model.

Every model object is immutable (``frozen``) and rejects unknown keys, so a typo in a topology
file is an error that names the field instead of a silently ignored setting.
"""

from __future__ import annotations

import os
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, model_validator

from hybridnet.model.errors import TopologyError
from hybridnet.model.files import read_regular_file
from hybridnet.model.names import EnvName, FileReference

MAX_SECRET_FILE_BYTES = 64 * 1024
"""A key file holds one line; anything larger is the wrong file (or /dev/zero)."""


class FrozenModel(BaseModel):
    """Base of every model class: immutable, strict about unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _written_as_text(value: Any) -> Any:
    """Reject YAML numbers and booleans where an address is expected.

    pydantic would read ``prefix: 5`` as 0.0.0.5/32 and ``prefix: true`` as 0.0.0.1/32: a typo that
    silently becomes a valid but absurd network.
    """
    if isinstance(value, bool | int | float):
        raise ValueError("write the address as text, e.g. 10.0.1.0/24 or 10.0.1.4")
    return value


Prefix = Annotated[IPv4Network, BeforeValidator(_written_as_text)]
Address = Annotated[IPv4Address, BeforeValidator(_written_as_text)]

Asn = Annotated[int, Field(ge=1, le=4294967295, description="BGP autonomous system number (16 or 32 bit).")]


class SecretRef(FrozenModel):
    """Where a secret (a pre-shared key, a BGP MD5 key) lives.

    Secrets are referenced, not stored, so a topology file can be committed and shared. An inline
    ``value`` is accepted for quick experiments but the rules flag it.
    """

    env: EnvName | None = Field(None, description="Name of an environment variable that holds the secret.")
    file: FileReference | None = Field(
        None, description="Path of a file whose first line is the secret (relative to the topology file)."
    )
    value: SecretStr | None = Field(None, description="The secret itself, inline (discouraged: flagged).")

    @model_validator(mode="after")
    def _exactly_one_source(self) -> SecretRef:
        given = [name for name in ("env", "file", "value") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'env', 'file' or 'value'")
        return self

    @property
    def is_inline(self) -> bool:
        return self.value is not None

    def describe(self) -> str:
        """A printable description of where the secret is: never the secret itself."""
        if self.env is not None:
            return f"environment variable {self.env}"
        if self.file is not None:
            return f"file {self.file}"
        return "inline value"

    def is_available(self, base_dir: Path | None = None) -> bool:
        if self.env is not None:
            return self.env in os.environ
        if self.file is not None:
            return self._path(base_dir).is_file()
        return True

    def resolve(self, base_dir: Path | None = None) -> str:
        """Read the secret; raise a TopologyError that says where it was looked for."""
        if self.value is not None:
            return self.value.get_secret_value()
        if self.env is not None:
            secret = os.environ.get(self.env)
            if secret is None:
                raise TopologyError(f"the shared key is read from environment variable {self.env}, which is not set",
                                    fix=f"export {self.env}=<key> or point the key at a file")
            return secret
        path = self._path(base_dir)
        fix = "create the file (mode 0600) with the key on its first line"
        try:  # a FIFO, /dev/zero or a huge file named by mistake must not hang the command
            raw = read_regular_file(path, MAX_SECRET_FILE_BYTES, what="secret file", missing_fix=fix)
        except TopologyError as exc:
            raise TopologyError(f"cannot read the secret file {path}: {exc.message}", fix=exc.fix or fix) from None
        if len(raw) > MAX_SECRET_FILE_BYTES:
            raise TopologyError(f"the secret file {path} has more than {MAX_SECRET_FILE_BYTES} bytes; is it the "
                                "right file?", fix=fix)
        try:
            lines = raw.decode("utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise TopologyError(f"the secret file {path} is not UTF-8 text (byte {exc.start})", fix=fix) from None
        if not lines or not lines[0].strip():
            raise TopologyError(f"the secret file {path} is empty", fix="put the key on its first line")
        return lines[0].strip()

    def _path(self, base_dir: Path | None) -> Path:
        assert self.file is not None
        path = Path(self.file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path
