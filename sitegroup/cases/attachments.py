"""Files sent with a case: checked by their content, never by their name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    """One accepted file: its (cleaned) name, the type found in its bytes, and the bytes."""

    name: str
    media_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()
