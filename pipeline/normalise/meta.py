"""Bylines, dates, editor/photo credits and caption markers: the metadata lines of a news page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))

_TIME = (r"(?:\s*(?:T|\s)?\s*(上午|下午|凌晨|中午|晚上|晚間|晚间)?\s*(\d{1,2})[:：.](\d{2})(?:[:：](\d{2}))?"
         r"(?:\s*([ap])\.?m\.?)?)?")
_YMD = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME)
_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MON})\.?,?\s+(\d{{4}})" + _TIME, re.I)
_NUM_DMY = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])" + _TIME)
_DOW = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"  # "Mar 10 Fri 2017" (blog style)
_MDY = re.compile(rf"\b({_MON})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_DOW}(\d{{4}})" + _TIME, re.I)

#: words that may surround a date on a date line without making it a sentence
_DATE_WORDS = re.compile(
    r"(?:published|updated|posted|last updated|modified|on|at|am|pm|a\.m\.|p\.m\.|gmt|utc|bst|edt|est|"
    r"hkt|cst|[+-]\d{2}:?\d{2}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|"
    r"fri|sat|sun|發稿時間|发稿时间|發布時間|发布时间|發佈時間|发表时间|發表時間|更新時間|更新时间|時間|时间|日期|"
    r"上午|下午|凌晨|晚間|晚间|中午|星期[一二三四五六日天]|週[一二三四五六日]|周[一二三四五六日]|"
    r"\d{1,2}[:：.]\d{2}(?:[:：]\d{2})?|[（()）,，:：|｜/／\-–—.\s])+", re.I)


def parse_date(text: str) -> tuple[str, re.Match[str]] | None:
    """The first date in ``text`` as ISO 8601 (with the time when given), and its match."""
    for pattern, order in ((_YMD, "ymd"), (_DMY, "dmy"), (_MDY, "mdy"), (_NUM_DMY, "num")):
        m = pattern.search(text)
        if not m:
            continue
        g = m.groups()
        try:
            if order == "ymd":
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            elif order == "dmy":
                y, mo, d = int(g[2]), _MONTHS[g[1].lower()], int(g[0])
            elif order == "mdy":
                y, mo, d = int(g[2]), _MONTHS[g[0].lower()], int(g[1])
            else:  # 18/03/2019 is day-first (HK, UK); 03/18/2019 can only be month-first
                a, b = int(g[0]), int(g[1])
                y, mo, d = (int(g[2]), b, a) if b <= 12 else (int(g[2]), a, b)
            iso = date(y, mo, d).isoformat()
        except (ValueError, KeyError):
            continue
        half, hh, mm, ss, ampm = g[3], g[4], g[5], g[6], g[7]
        if hh is not None and mm is not None and int(hh) < 24 and int(mm) < 60 \
                and (ss is None or int(ss) < 60):
            hour = int(hh)
            if (half in ("下午", "晚上", "晚間", "晚间") or (ampm or "").lower() == "p") and hour < 12:
                hour += 12
            iso += f"T{hour:02d}:{mm}" + (f":{ss}" if ss is not None else "")
        return iso, m
    return None


def date_only(text: str) -> str | None:
    """ISO date if the line is just a date (with time, weekday, 'Updated' ...), else None."""
    found = parse_date(text)
    if not found:
        return None
    iso, m = found
    rest = text[: m.start()] + " " + text[m.end():]
    if _DATE_WORDS.sub("", rest).strip():
        return None
    return iso


_REPORTER = (r"(?:本[報报]|本台|本網|本网|特派)?"
             r"(?:記者|记者|實習記者|实习记者|通訊員|通讯员|特約記者|特约记者)")
_NAME = r"[\u4e00-\u9fff·]{2,5}"
_BYLINE_START = re.compile(
    rf"^[（(【〔\[]?\s*(?:{_REPORTER}\s*{_NAME}|(?:文|撰文|作者|文字|文／圖|文/圖|文/图|来源|來源|出處|出处|"
    r"發稿時間|发稿时间|發布時間|发布时间|發佈時間|更新時間|更新时间|發表時間|发表时间|編譯|编译)\s*[:：／/]|"
    r"by(?:\s*[:：]\s*|\s+)[A-Z][\w.'-]+|published\b|updated\b|posted\b|last updated\b)", re.I)
_REPORTED = re.compile(rf"{_REPORTER}\s*{_NAME}(?:\s*[／/]\s*\S{{0,10}})?\s*"
                       r"(?:報導|报道|報道|讯|訊|電|电|綜合報導|综合报道)?")


#: "新华社记者 崔静、韩洁、刘羊旸": an agency's reporters listed on their own line
_REPORTER_LIST = re.compile(
    rf"^[^\s。！？，,]{{0,12}}{_REPORTER}\s*{_NAME}(?:\s*[、，,/／\s]\s*{_NAME})*\s*$")
#: "新华社北京10月17日电 题:…": the wire dateline that repeats the story's title
WIRE_TITLE = re.compile(r"^[^\s。！？，,]{2,16}?(?:\d{1,2}月\d{1,2}日)?(?:电|電|讯|訊)\s*(?:题|題)\s*[:：]")

_SOURCE_WORD = re.compile(r"来源|來源|出處|出处|作者|記者|记者|編輯|编辑|發布|发布|發佈|更新|撰文|"
                          r"\bby\b|\bsource\b|\bpublished\b|\bupdated\b|\bposted\b", re.I)


#: ``王小明／台北報導`` (China Times style, no 記者)
_NAME_PLACE = re.compile(r"(?:^|\s)([\u4e00-\u9fff·]{2,4})\s*[／/]\s*\S{0,10}"
                         r"(?:報導|报道|報道|綜合報導|综合报道)$")


@dataclass
class Byline:
    raw: str
    date: str | None = None
    author: str | None = None
    source: str | None = None


def byline(text: str) -> Byline | None:
    """A byline/date/source line (``記者陳嘉寧／桃園機場報導``, ``发稿时间：… 来源：…``, ``By Jane Doe``)."""
    t = text.strip()
    if len(t) > 90 or re.search(r"[。！？!?]$", t):
        return None
    starts = _BYLINE_START.search(t) is not None
    found = parse_date(t)
    reported = _REPORTED.search(t)
    sourced = found is not None and len(t) <= 70 and (
        _SOURCE_WORD.search(t) is not None or len((t[: found[1].start()] + t[found[1].end():]).strip()) <= 12)
    alone = reported is not None and reported.end() == len(t) and len(t) <= 40
    alone = alone or bool(_NAME_PLACE.search(t) and len(t) <= 40)
    alone = alone or bool(len(t) <= 40 and _REPORTER_LIST.match(t))
    if not (starts or sourced or (found and reported) or alone):
        return None
    if not starts and not found and reported and reported.start() > 0 and len(t[: reported.start()]) > 12:
        return None
    out = Byline(raw=t, date=found[0] if found else None)
    m = re.search(rf"{_REPORTER}\s*({_NAME})", t)
    if m:
        out.author = m.group(1)
    else:
        # "【文/观察者网专栏作者 王文】": the name is the last word, after the writer's description
        m = re.search(r"(?:作者|作家|撰稿人)\s+([\u4e00-\u9fff·]{2,4})\s*[】）)\]]?$", t) or re.match(
            r"^by\s*[:：]?\s+([^,|;:/]+?)\s*(?:[,|;:/].*)?$", t, re.I) or re.search(
            r"(?:作者|撰文|文)\s*[:：／/]\s*([\u4e00-\u9fff·]{2,5})", t)
        if m:
            out.author = m.group(1)
        elif _NAME_PLACE.search(t):
            out.author = _NAME_PLACE.search(t).group(1)
    m = re.search(r"(?:来源|來源|出處|出处)\s*[:：]\s*(.+?)\s*$", t)
    if m and m.group(1):
        out.source = m.group(1)
    return out


_CREDIT = re.compile(
    r"^[（(【\[]?\s*(?:圖|图|照片|責任編輯|责任编辑|責編|责编|編輯|编辑|主編|主编|校對|校对|審校|审校|審核|审核|美編|美编|攝影|摄影|"
    r"圖片|图片|翻譯|翻译|撰稿|核稿|監製|监制|製表|制表|製圖|制图|統籌|统筹|實習生|实习生|出品|"
    r"本[報报]記者|本[報报]记者)\s*[:：／/]?\s*[^。！？]{1,30}[）)】\]]?$"
    r"|^[（(]?(?:edited by|editing by|reporting by|additional reporting by|writing by|written by|"
    r"photographs? by|photos? by|produced by|illustrations? by|graphics? by|editor:)\b[^.]{1,80}[)）]?$"
    r"|^[^.]{0,80}\bcontributed (?:to )?(?:this )?(?:report|reporting|story|article)\.?$",
    re.I,
)
_EDITOR = re.compile(r"(?:責任編輯|责任编辑|責編|责编|編輯|编辑|主編|主编|edited by|editor:)"
                     r"\s*[:：／/]?\s*([^（）()\[\]【】:：]+?)\s*(?:[）)\]】].*)?$", re.I)


def credit(text: str) -> tuple[str, str | None] | None:
    """(credit line, editor name or None) for ``责任编辑：崔宁宁`` or ``(Reporting by …)``."""
    t = text.strip()
    if len(t) > 100 or not _CREDIT.match(t):
        return None
    m = _EDITOR.search(t)
    return t, (m.group(1) if m else None)


# ----------------------------------------------------------------------------------- captions

#: markers that start a caption; the marker is kept unless it is pure screen-reader furniture
CAPTION_PREFIX = re.compile(r"^(?:圖為|图为|上圖|下圖|左圖|右圖|上图|下图|左图|右图)")
#: markers removed from the caption text (screen-reader labels, arrows)
CAPTION_MARKER = re.compile(r"^(?:(?:media|image|video|photo|picture)\s+caption\s*[,:]?\s*|caption\s*:\s*|"
                            r"pictured\s*:\s*|(?:圖說|图说|圖注|图注|圖片說明|图片说明)\s*[:：]\s*|[▲△▼▽◆]\s*|"
                            r"[（(【\[]\s*(?:圖|图|圖片|图片|photo|image)\s*[）)】\]]\s*)",
                            re.I)
_IMAGE_COPYRIGHT = re.compile(r"^(image|photo|picture|video)\s+(?:copyright|source|credit)[,:]?\s+(.+?)"
                              r"(?:\s+(?=(?:media|image|video|photo)\s+caption\b)|$)", re.I)

_ZH_CREDIT_TAIL = re.compile(
    r"(?:"
    rf"{_REPORTER}\s*{_NAME}\s*[／/]\s*(?:翻攝|翻摄|攝影|摄影|攝|摄|提供|截圖|截图)"  # 記者陳嘉寧／翻攝
    # 中央社記者王小明攝 108年3月18日
    rf"|[^\s。！？，,]{{0,6}}{_REPORTER}\s*{_NAME}(?:攝|摄)(?:\s*\d{{2,4}}年\d{{1,2}}月\d{{1,2}}日)?"
    # （新華社記者李明攝）（港台圖片）
    r"|[（(][^（）()]{1,24}(?:攝|摄|供圖|供图|提供|截圖|截图|資料照|资料图|圖片|图片|照片|相片)[）)]"
    # 受訪單位供圖
    r"|[^\s。！？，,]{0,12}(?:供圖|供图|資料照片|資料照|资料图片|资料图|網路圖片|网络图片|截圖|截图)"
    r"|(?:圖|图|圖片|图片|攝影|摄影|照片)\s*(?:來源|来源|提供)?\s*[／/:：]\s*[^。！？]{1,24}"  # 圖／路透
    r"|(?:取自|翻攝自|翻摄自|截自)[^。！？]{1,24}"
    # （攝影／王小明）(圖／路透) (攝影/REUTERS/Ann Wang/達志影像)
    r"|[（(](?:圖|图|圖片|图片|攝影|摄影|照片|影像|圖文|图文)\s*(?:來源|来源|提供)?\s*[／/:：][^（）()]{1,40}[）)]"
    r")$"
)
_EN_CREDIT_TAIL = re.compile(
    r"[(\[]\s*(?:(?:[A-Z][\w.]*\s+)?(?:video|photo|image|picture|footage|graphic)s?\s*(?:by|:|/|credit:?)|"
    r"credit:?|courtesy of)[^()\[\]]{1,60}[)\]]$"
    r"|(?<=[.!?])\s+(?:Getty Images|Reuters|AFP|EPA|AP|PA Media|PA|Shutterstock|Alamy|Bloomberg)"
    r"(?:\s*/\s*[\w .]+)?$"
    r"|(?<=[.!?])\s+(?:photo|photograph|picture|image)s?\s*(?::|by)\s*[^.]{1,50}$"
    r"|(?<=[.!?])\s+(?:screengrab|screen grab|screenshot|screen capture|video still|still|courtesy)s?\b"
    r"(?:\s+(?:from|of|by|via))?[^.]{1,50}$",
    re.I,
)


_AGENCY = (r"(?:Getty Images|AFP|Reuters|AP|AP Photo|EPA|EPA-EFE|Shutterstock|Alamy|Bloomberg|PA Media|PA|"
           r"Xinhua|Anadolu|NurPhoto|SOPA Images|LightRocket|Corbis|iStock|NASA|BBC|CNN)")
_EN_CREDIT_LINE = re.compile(
    rf"^(?:(?:photo|photograph|image|picture|video|credit)s?\s*(?::|by|\.{{3}}|…)\s*.{{2,60}}|"
    rf"(?:[\w.'-]+(?:\s+[\w.'-]+){{0,3}}\s*/\s*)*{_AGENCY}(?:\s*/\s*[\w .'-]+){{0,3}}(?:,\s*file)?|"
    rf"{_AGENCY}\s+(?:via|for)\s+.{{2,40}})$", re.I)
_ZH_CREDIT_LINE = re.compile(r"^[（(]?(?:圖|图|圖片|图片|照片|攝影|摄影|影像)\s*(?:來源|来源|提供)?"
                             r"\s*[／/:：]\s*\S.{0,24}[）)]?$"
                             r"|^[（(][^（）()]{1,16}(?:攝|摄|供圖|供图)[）)]$|^[^\s。！？，]{1,16}(?:供圖|供图)$")


def photo_credit_line(text: str) -> bool:
    """A line that is only a photo credit (``Tony Karumba/AFP/Getty Images``, ``圖／路透``)."""
    t = text.strip()
    return len(t) <= 80 and bool(_EN_CREDIT_LINE.match(t) or _ZH_CREDIT_LINE.match(t))


def split_credit(text: str) -> tuple[str, str | None]:
    """(caption text, credit): a trailing ``受訪單位供圖``, ``記者…／攝影`` or ``(Video by …)``."""
    t = text.rstrip()
    for pattern in (_ZH_CREDIT_TAIL, _EN_CREDIT_TAIL):
        m = pattern.search(t)
        if m is None:
            continue
        start = m.start()
        # the credit must start a new "segment": after a sentence end, a space or the line start
        head = t[:start]
        if head and not re.search(r"[\s。！？.!?）)」”]$", head) and pattern is _ZH_CREDIT_TAIL:
            # 受訪單位供圖 glued to the text: accept only when the preceding text ends a sentence
            inner = re.search(r"[。！？]([^。！？]*)$", t)
            if inner is None or len(inner.group(1)) > 16:
                continue
            start = inner.start(1)
            head = t[:start]
        if pattern is _ZH_CREDIT_TAIL:
            # "视觉中国 资料图": a short unpunctuated run before the credit belongs to it
            inner = re.search(r"[。！？]([^。！？，,、]{1,12})$", t[:start])
            if inner and inner.group(1).strip():
                start = inner.start(1)
                head = t[:start]
        credit_text = t[start:].strip()
        body = head.strip()
        if not body:
            return t, None
        return body, credit_text
    return t, None


def image_copyright(text: str) -> tuple[str, str] | None:
    """``Image copyright Getty Images [Image caption …]`` → (credit, rest of the line)."""
    m = _IMAGE_COPYRIGHT.match(text.strip())
    if not m:
        return None
    return m.group(2).strip(), text.strip()[m.end():].strip()


#: job titles that end an author line (``王文中国人民大学重阳金融研究院执行院长``, ``Jane Doe, Staff Writer``)
_ROLE_END = re.compile(
    r"(?:院長|院长|教授|研究員|研究员|主任|主編|主编|總編輯|总编辑|編輯|编辑|專欄作家|专栏作家|專欄作者|专栏作者|"
    r"評論員|评论员|特約撰稿人|特约撰稿人|撰稿人|作家|學者|学者|記者|记者|特派員|特派员|通訊員|通讯员|"
    r"分析師|分析师|總監|总监|執行長|执行长|董事長|董事长|律師|律师|醫師|医师|博士|"
    r"correspondent|reporter|editor|writer|columnist|contributor|journalist|professor|analyst)$", re.I)


def author_line(text: str) -> bool:
    """A short unpunctuated line that ends with a job title: the author line under a headline."""
    t = text.strip()
    if len(t) > 60 or re.search(r"[。！？!?；;，,]", t[:-1]):
        return False
    return bool(_ROLE_END.search(t))
