"""Offline neuronjson: DVID's query rules run on local records (a list or a JSON file).

Example:
    >>> from neuprint_dsl import N, neurons
    >>> store = LocalNeuronJson([{"bodyid": 2, "type": "KC"}, {"bodyid": 1, "type": "MBON01"}])
    >>> store.run(neurons(N.type.matches("MBON.*")))["bodyid"].tolist()
    [1]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument, LoadError
from ..execute import Runs
from ..neuronjson import Query, check_json_text, compile_query
from .base import Record
from .neuronjson_base import NeuronJsonTransport, hide_metadata


class LocalNeuronJson(Runs, NeuronJsonTransport):
    """Annotation records held locally (e.g. the output of DVID's ``/all``), queried with
    DVID's exact matching rules; ``run()`` gives the same answer a DVID server would."""

    def __init__(
        self,
        records_or_path: Iterable[Mapping[str, Any]] | str | Path,
        *,
        field_names: Mapping[str, str] | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(field_names=field_names, kinds=kinds)
        if isinstance(records_or_path, (str, Path)):
            records = _read_json(Path(records_or_path))
        else:
            records = [dict(r) if isinstance(r, Mapping) else r for r in records_or_path]
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise InvalidArgument(
                    f"record {i} is {type(record).__name__}, not a JSON object (a dict)"
                )
        self.records: list[dict[str, Any]] = records

    def query_records(self, query: Query, show: str | None = None) -> list[Record]:
        test = compile_query(query)
        return [hide_metadata(r, show) for r in self.records if test(r)]

    def all_records(self, show: str | None = None) -> list[Record]:
        return [hide_metadata(r, show) for r in self.records]


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise LoadError(str(path), f"cannot read: {err.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise LoadError(str(path), f"not valid JSON: {err.msg}", err.lineno) from None
    if isinstance(data, dict):  # {"id": {...}} as keyrangevalues/keyvalues return
        data = list(data.values())
    if re.search(r"\\u[dD][89a-fA-F]", text):  # surrogate escapes: Go reads a lone one as U+FFFD
        check_json_text(data, f"the annotation file {path}")
    if not isinstance(data, list):
        raise LoadError(str(path), "expected a JSON list of annotation objects")
    for i, record in enumerate(data):
        if not isinstance(record, dict):
            raise LoadError(str(path), f"item {i} is not a JSON object")
    return data
