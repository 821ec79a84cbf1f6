"""Keep secrets out of reports.

Reports are shared (attached to tickets, pasted in chats), while event details and error texts come
from daemon logs and VICI messages that can quote configuration. Every free-text field passes
through ``redact`` before it is rendered: known secret values (the drill passes the resolved
pre-shared keys) are replaced, and so is anything written as ``secret = …``, ``psk …`` or
``password …``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "«redacted»"
_KEYWORD_VALUE = re.compile(
    r"(?i)\b(secret|psk|pre-?shared[-_ ]?key|shared[-_ ]?key|password|md5[-_ ]?key|auth[-_ ]?key)"
    r"(\s*[:=]\s*|\s+)(\"[^\"]*\"|'[^']*'|[^\s,;}]+)")


class Redactor:
    """Replaces given secret values and keyword-introduced values in free text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _KEYWORD_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


redact = Redactor()
"""A redactor that knows no specific values: keyword-introduced secrets only."""
