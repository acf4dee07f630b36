"""The golden-file harness: the exact neo4j Cypher the compat functions send.

A golden file (tests/golden/*.json) maps a case name to the list of Cypher texts one compat
call sends, recorded by a :class:`~neuprint_dsl.transports.Recording` transport that answers
like a small neuPrint dataset. A test module declares its :class:`Goldens` (the file, the cases
and the answers) and asserts ``goldens.sent(name) == goldens.expected()[name]`` for every case,
and that the file holds exactly its cases. Update a file only after reading the new text and
deciding it is right: ``python -m tests.<module>`` rewrites it (each module's ``__main__``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from neuprint_dsl.compat import Client, clear_default_client
from neuprint_dsl.transports import Recording

GOLDEN_DIR = Path(__file__).parent / "golden"


def load_golden(file: str) -> dict[str, list[str]]:
    """The golden file ``tests/golden/<file>``: case name -> the Cypher texts sent."""
    data: dict[str, list[str]] = json.loads((GOLDEN_DIR / file).read_text(encoding="utf-8"))
    return data


@attrs.frozen(slots=True)
class Goldens:
    """One golden file, the compat calls it records and what the fake server answers."""

    #: the file name under tests/golden/
    file: str
    #: case name -> a function making the compat call(s) with the given client
    cases: Mapping[str, Callable[[Client], object]]
    #: the recording transport's answer to a Cypher text (None: no rows)
    answer: Callable[[str], Any]
    dataset: str = "hemibrain:v1.2.1"

    @property
    def path(self) -> Path:
        """The golden file's path."""
        return GOLDEN_DIR / self.file

    def names(self) -> list[str]:
        """The case names, sorted (for ``pytest.mark.parametrize``)."""
        return sorted(self.cases)

    def client(self) -> tuple[Client, Recording]:
        """A fresh client on a recording transport (the default client cleared first)."""
        clear_default_client()
        recording = Recording(self.answer, dataset=self.dataset)
        return Client(transport=recording), recording

    def sent(self, name: str) -> list[str]:
        """The Cypher texts case ``name`` sends, in order."""
        client, recording = self.client()
        self.cases[name](client)
        clear_default_client()
        return recording.sent

    def expected(self) -> dict[str, list[str]]:
        """The golden file's contents."""
        return load_golden(self.file)

    def regenerate(self) -> None:
        """Rewrite the golden file from what the cases send now."""
        sent = {name: self.sent(name) for name in self.names()}
        self.path.write_text(json.dumps(sent, indent=1) + "\n", encoding="utf-8")
