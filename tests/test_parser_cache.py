"""The parser's tables are saved in the cache directory and loaded by the next process; a
broken or unwritable cache never changes what the parser answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuprint_dsl import text
from neuprint_dsl.errors import QuerySyntaxError
from neuprint_dsl.text import grammar

QUERY = 'type =~ "MBON.*" and roi("MB(R)") and not cropped and pre >= 100'
BAD = "pre > 1 and and x"


def _answers(parser: object) -> tuple[object, str]:
    """What a parser answers for a good and a bad query (the parse tree and the error).
    Trees compare equal when their rule names and tokens do (a loaded parser names rules
    with plain strings, a built one with RULE tokens: equal strings)."""
    good = parser.parse(QUERY)  # type: ignore[attr-defined]
    try:
        parser.parse(BAD)  # type: ignore[attr-defined]
    except Exception as err:  # the keyword callback's error, compared below
        return good, type(err).__name__
    return good, "no error"


def _fresh_parser() -> object:
    return grammar.lark_parser.__wrapped__()  # type: ignore[attr-defined]


def test_tables_saved_then_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEUPRINT_DSL_CACHE", str(tmp_path))
    first = _fresh_parser()
    files = list((tmp_path / "parser").iterdir())
    assert len(files) == 1 and files[0].stat().st_size > 0
    stamp = files[0].stat().st_mtime_ns
    second = _fresh_parser()  # loaded from the file, not rebuilt: the file is not rewritten
    assert files[0].stat().st_mtime_ns == stamp
    assert _answers(second) == _answers(first) == _answers(grammar.lark_parser())
    assert _answers(second)[1] == "KeywordAsName"  # the lexer callback survives the load


def test_broken_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEUPRINT_DSL_CACHE", str(tmp_path))
    _fresh_parser()
    (saved,) = (tmp_path / "parser").iterdir()
    saved.write_bytes(b"not a parser\n" + bytes(range(256)) * 4)
    parser = _fresh_parser()
    assert _answers(parser) == _answers(grammar.lark_parser())
    assert saved.read_bytes().startswith(b"not a parser") is False  # rewritten whole


def test_unusable_cache_directory_still_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be made under a file")
    monkeypatch.setenv("NEUPRINT_DSL_CACHE", str(blocker))
    assert _answers(_fresh_parser()) == _answers(grammar.lark_parser())


def test_public_parse_unchanged_by_the_cache() -> None:
    with pytest.raises(QuerySyntaxError, match="line 1, column 13"):
        text.parse(BAD)
