"""Choosing the faces for a document: :func:`faces_for`.

The faces are chosen by the document's language and the configured fonts, subset to the
document's characters (or a batch's) plus :data:`ALWAYS`, with fallback faces for printed
characters the primary faces lack. What no face has is listed in ``FaceSet.missing`` (builds never
fail on a missing glyph). The result is memoised in this process and its faces cached on disk.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from pipeline.fonts.cache import _FACESET_MEMO, _LOCK, _MEMO_LIMIT, _cache_dir, _remember
from pipeline.fonts.catalogue import _CHOICES, ROLE_WEIGHTS, _configured, _shipped, _Source, language_group
from pipeline.fonts.coverage import _source_info
from pipeline.fonts.faces import Face, FaceSet, FontError, _invisible
from pipeline.fonts.jobs import _Job, _plan, _realise
from pipeline.model import META_TEXT_FIELDS, Document
from pipeline.settings import Settings

#: Labels the writers print that documents rarely hold (page and date words, EPUB landmarks and
#: colophon in every language the writers localise to).
WRITER_LABELS = ("第頁页共年月日目錄目录封面書名頁书名页正文導覽导览版權與字型版权与字体"
                 "目次表紙扉本文ランドマーク奥付목차표지속표지본문랜드마크판권")

#: Characters every subset carries when its face has them: ASCII for numbers, dates, URLs and page
#: numbers; the punctuation Chinese text and running heads use; bullets; full-width forms; the
#: vertical presentation forms so vertical-rl text (EPUB) finds its glyphs; the writers' labels.
#: Because they are always there, writers that add some of them to ``charset`` get the very same
#: subsets (one subsetting for PDF, EPUB and DOCX), and they never pull in a fallback face or
#: count as missing unless the document itself uses them.
ALWAYS: frozenset[int] = frozenset(
    list(range(0x20, 0x7F))
    + [0x3013, 0xFFFD]  # the geta mark and replacement character the PDF draws for missing glyphs
    + [ord(c) for c in "\u00a0\u00a9\u00b7\u2013\u2014\u2015\u2018\u2019\u201c\u201d\u2022\u2025"
       "\u2026\u2027\u2032\u2033\u203b\u3000、。〃〈〉《》「」『』【】〔〕〖〗〘〙〜〝〞・ー﹏"
       + WRITER_LABELS]
    + list(range(0x3001, 0x3004))
    + list(range(0xFF01, 0xFF5F))  # full-width ASCII forms
    + list(range(0xFE10, 0xFE1A))  # vertical forms
    + list(range(0xFE30, 0xFE50))  # CJK compatibility forms (vertical brackets, ...)
)


def document_chars(document: Document) -> set[int]:
    """Every code point the document may print: its texts and every metadata field."""
    texts = list(document.texts())
    texts += [getattr(document.meta, n) or "" for n in META_TEXT_FIELDS]
    return _printable(ord(c) for t in texts for c in t)


def _printable(codepoints) -> set[int]:
    """Leave out control characters (line breaks in a licence text, say): no face draws them, and
    they must not make two writers' character sets (and so their subsets) differ."""
    return {cp for cp in codepoints if cp >= 0x20 and not 0x7F <= cp <= 0x9F}


def required_codepoints(document: Document, charset: str | None = None) -> frozenset[int]:
    """What the primary faces are subset to: the document's (or batch's) characters plus
    :data:`ALWAYS` (each face keeps those of them it has)."""
    needed = document_chars(document)
    if charset is not None:
        needed |= _printable(ord(c) for c in charset)
    return frozenset(needed | ALWAYS)


def faces_for(document: Document, settings: Settings | None = None,
              charset: str | None = None) -> FaceSet:
    """The faces for ``document``: chosen by ``document.meta.lang`` and ``settings.fonts``,
    subset to the document's characters (or ``charset`` too, for a batch: subset once for the
    union) plus :data:`ALWAYS`. Memoised in this process and cached on disk; raises
    :class:`FontError` when a configured font is unusable; never fails on a missing glyph (those
    are in ``FaceSet.missing``)."""
    settings = settings or Settings()
    own = frozenset(document_chars(document))
    extra = frozenset(_printable(ord(c) for c in charset or "")) - own - ALWAYS
    cache = _cache_dir(settings)
    group = language_group(document.meta.lang)
    memo_key = (group, document.meta.lang, own, extra, tuple(sorted(settings.fonts.items())),
                settings.origin, str(cache))
    with _LOCK:
        hit = _FACESET_MEMO.get(memo_key)
    if hit is not None:
        return hit
    # Fallbacks and `missing` follow what will be printed: the document's own characters and
    # the batch's/writer's extras, except extras from ALWAYS (labels a writer may not print).
    drivers = own | (extra - ALWAYS)
    result = _choose(document.meta.lang, group, own | extra, drivers, settings, cache)
    with _LOCK:
        _remember(_FACESET_MEMO, memo_key, result, _MEMO_LIMIT["facesets"])
    return result


def _choose(lang: str, group: str, needed: frozenset[int], drivers: frozenset[int],
            settings: Settings, cache: Path | None) -> FaceSet:
    choice = _CHOICES[group]
    configured = {k: v for k, v in settings.fonts.items() if v}
    if group == "latin":  # in Latin documents the latin roles are the body faces
        if "latin" in configured:
            configured.setdefault("body", configured.pop("latin"))
        if "latin-bold" in configured:
            configured.setdefault("bold", configured.pop("latin-bold"))
    wanted = needed | ALWAYS
    plans: dict[str, _Job] = {}
    for role in ("body", "bold", "heading", "caption"):
        face_id, weight = choice[role]
        if role in configured:
            src = _configured(role, configured[role], settings)
            weight = _configured_weight(src, role, cache)
        else:
            src = _shipped(face_id)
        plans[role] = _plan(src, weight, "normal", wanted, cache)

    # Fallbacks cover printed characters (not the ALWAYS extras) some primary face lacks.
    visible = [cp for cp in sorted(drivers) if not _invisible(cp)]
    uncovered = {cp for cp in visible if any(cp not in job.cps for job in plans.values())}
    sources = [_configured(r, configured[r], settings) for r in ("latin", "latin-bold") if r in configured]
    fallback_plans: list[_Job] = []
    for face_id in choice["fallbacks"]:
        if uncovered:
            with contextlib.suppress(FontError):  # a missing fallback package only loses coverage
                sources.append(_shipped(face_id))
    for src in sources:
        if not uncovered:
            break
        take = _source_info(src, cache).coverage.select(uncovered)
        if take:
            fallback_plans.append(_plan(src, 400, "normal", take, cache))
            uncovered -= take

    datas = _realise([*plans.values(), *fallback_plans], cache)

    def face(role: str, job: _Job) -> Face:
        return Face(role=role, family=job.family, weight=job.weight, style=job.style,
                    data=datas[job.key], codepoints=job.cps)

    primaries = {role: face(role, job) for role, job in plans.items()}
    fallbacks = tuple(face("fallback", job) for job in fallback_plans)
    anywhere = set().union(*(f.codepoints for f in (*primaries.values(), *fallbacks)))
    missing = tuple(cp for cp in visible if cp not in anywhere)
    return FaceSet(lang=lang, fallbacks=fallbacks, missing=missing, **primaries)


def _configured_weight(src: _Source, role: str, cache: Path | None) -> int:
    """A configured static font keeps its own weight; a variable one is pinned at the role's."""
    info = _source_info(src, cache)  # validates the file first, with a clear message
    if "fvar" in info.tags or not 1 <= info.weight <= 1000:
        return ROLE_WEIGHTS[role]
    return info.weight
