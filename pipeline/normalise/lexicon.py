"""Lexicons of page furniture in Chinese (both scripts) and English, and the line tests built on them.

A line is furniture when it consists *only* of furniture words (``分享 facebook``, ``Share this story
About sharing``, ``A-A+``) or matches one of the furniture patterns (breadcrumbs, comment counters,
relative times, copyright lines). Words are never removed from inside a sentence.
"""

from __future__ import annotations

import re

# reason -> phrases (matched whole, case-insensitively, longest first)
_PHRASES: dict[str, tuple[str, ...]] = {
    "share-widget": (
        "分享", "分享到", "分享至", "分享本文", "分享此文", "分享給朋友", "分享给朋友", "轉寄", "转寄",
        "轉發", "转发", "列印", "打印", "友善列印", "列印本頁", "打印本页", "字級", "字级", "字號",
        "字号", "字體", "字体", "字體大小", "字体大小", "調整字級", "大 中 小", "大中小", "A-A+",
        "A- A+", "A+A-", "A+", "A-", "A", "+", "++", "facebook", "fb", "line", "twitter", "x", "weibo",
        "wechat", "微信", "微博", "新浪微博", "朋友圈", "QQ空间", "QQ空間", "QQ", "QQ好友", "豆瓣",
        "複製連結", "复制链接", "複製網址", "复制网址", "收藏", "加入收藏", "收藏文章", "讚", "按讚",
        "推", "贊", "点赞", "點讚", "Share", "Share this", "Share this story", "Share this article",
        "Share this page", "Share on Facebook", "Share on Twitter", "About sharing", "Email", "E-mail",
        "Facebook", "Twitter", "WhatsApp", "Linkedin", "LinkedIn", "Pinterest", "Reddit", "Messenger",
        "Telegram", "Tumblr", "Print", "Print this page", "Copy link", "Copy this link", "Tweet",
        "Save", "Bookmark", "我要反馈", "我要反饋",
        "保存网页", "關閉視窗", "关闭窗口", "關閉", "关闭",
        "Google+", "Flipboard", "Mail", "SMS", "Send", "Like",
        "文字大小", "字型大小", "分享工具", "分享此頁", "分享此页", "分享文章", "分享本頁", "分享本页",
        "Share tools", "Share page",
    ),
    "comment-widget": (
        "留言", "評論", "评论", "發表評論", "发表评论", "我要評論", "我要评论", "最新評論", "最新评论",
        "熱門評論", "热门评论", "網友評論", "网友评论", "查看評論", "查看评论", "登錄", "登录", "登入",
        "註冊", "注册", "登出", "取消", "確定", "确定", "發表", "发表", "提交", "畅言", "暢言",
        "我的社区", "我的社區", "有事没事说两句", "讀者迴響", "读者回响", "網友回應", "网友回应",
        "有事沒事說兩句", "还没有评论，快来抢沙发吧！",
        "還沒有評論，快來搶沙發吧！", "评论内容为空！", "评论内容为空", "該評論已關閉！",
        "该评论已关闭!", "该评论已关闭！", "该评论已关闭", "去社区看看吧", "去热评看看吧",
        "表情删除后不可恢复，是否删除", "图片正在上传，请稍后", "取消上传", "Comments", "Comment",
        "View comments", "Show comments", "Hide comments", "Leave a comment", "Add a comment",
        "Post a comment", "Post comment", "Join the conversation", "Join the discussion", "Sign in",
        "Log in", "Login", "Register", "Reply", "Report", "Cancel", "Submit", "OK",
    ),
    "related-list": (
        "相關文章", "相关文章", "相關新聞", "相关新闻", "延伸閱讀", "延伸阅读", "推薦閱讀", "推荐阅读",
        "相關閱讀", "相关阅读", "熱門新聞", "热门新闻", "熱門文章", "热门文章", "熱門推薦", "热门推荐",
        "最新新聞", "最新新闻", "更多新聞", "更多新闻", "看更多", "查看更多", "閱讀更多", "阅读更多",
        "更多", "猜你喜歡", "猜你喜欢", "你可能也想看", "你可能感興趣", "你可能感兴趣", "編輯推薦",
        "编辑推荐", "相關報導", "相关报道", "相關連結", "相关链接", "熱讀", "热读", "排行榜",
        "點擊排行", "点击排行", "今日熱門", "今日热门", "精彩推薦", "精彩推荐", "相關推薦", "相关推荐",
        "推薦新聞", "推荐新闻", "相關閱讀推薦", "更多報道", "更多报道", "你可能會喜歡", "你可能会喜欢",
        "Source link", "Source", "原文連結", "原文链接", "閱讀原文", "阅读原文", "Related",
        "Related Topics", "Related topics", "Related articles", "Related stories", "Related content",
        "Related links", "Related coverage", "Related article", "Related video", "Related stories",
        "Related Articles", "Paid content", "Sponsored stories", "More on this story", "More stories",
        "More from",
        "Read more", "Read next", "Recommended", "Recommended for you", "You may also like",
        "You might also like", "Most read", "Most popular", "Most viewed", "Most shared", "Top stories",
        "Trending", "See also", "Around the BBC", "Elsewhere on the BBC", "More videos", "Latest news",
        "Latest stories",
    ),
    "navigation": (
        "首頁", "首页", "返回首頁", "返回首页", "回首頁", "回首页", "返回頂部", "返回顶部", "回到頂部",
        "回到顶部", "回頂部", "上一篇", "下一篇", "上一頁", "上一页", "下一頁", "下一页", "正文",
        "當前位置", "当前位置", "您的位置", "你的位置", "目錄", "目录", "選單", "菜单", "導航", "导航",
        "返回", "返回列表", "返回目錄", "糾錯", "纠错", "Home", "Menu",
        # pagination ("1 2 下一页 余下全文")
        "余下全文", "餘下全文", "閱讀全文", "阅读全文", "查看全文", "展開全文", "展开全文", "全文",
        "尾頁", "尾页",
        "首頁 上一頁", "Next page", "Previous page", "Page",
        "Jump to navigation", "Jump to search", "Open in app", "Get started", "Skip to content",
        "Skip to main content", "Back to top", "Previous", "Next", "Previous article", "Next article",
        "Next story", "Navigation", "Search", "Close", "Open",
        # section labels (a line of nothing but these is a breadcrumb / channel name)
        "新聞", "新闻", "即時", "即时", "即時新聞", "即时新闻", "要聞", "要闻", "焦點", "焦点",
        "社會", "社会", "政治", "國際", "国际", "兩岸", "两岸", "財經", "财经", "生活", "娛樂", "娱乐",
        "體育", "体育", "科技", "健康", "地方", "港聞", "港闻", "時政", "时政", "教育",
        "軍事", "军事", "評論", "观点", "觀點",
        "World", "News", "US", "UK", "Canada", "Politics", "Business", "Sport", "Sports", "Tech",
        "Technology", "Science", "Health", "Entertainment", "Opinion", "Culture", "Lifestyle", "Travel",
        "Asia", "Europe", "Africa", "Americas", "Middle East", "Australia", "China", "India", "Local",
        "National", "International", "Live", "Latest", "&",
    ),
    "boilerplate": (
        "Image", "Photo", "Video", "Audio", "Listen to this article", "Share full article", "Read in app",
        "Gift this article", "Give this article", "Text settings", "Story text", "Size", "Small", "Standard",
        "Large", "Wide", "Width", "Links", "Subscribers only", "Learn more", "Minimize to nav", "Enlarge",
        "Enlarge this image", "Toggle caption", "hide caption", "show caption", "Expand", "Collapse",
        "Loading", "Loading...", "Playing", "Watch", "Listen", "放大", "縮小", "缩小", "播放", "圖片", "图片",
        "影片", "視頻", "视频",
        # date/author labels whose value was an image or a script: nothing left to keep
        "Posted on", "Posted", "Published", "Published on", "Updated", "Last updated", "Posted by",
        "發布時間", "发布时间", "發佈時間", "更新時間", "更新时间",
    ),
    "advertisement": (
        "廣告", "广告", "贊助", "赞助", "贊助商", "赞助商", "推廣", "推广", "Advertisement",
        "Advertising", "Sponsored", "Sponsored content", "AD", "Ad", "Ads",
    ),
    "promotion": (
        "訂閱", "订阅", "立即訂閱", "立即订阅", "下載APP", "下载APP", "下載App", "下载客户端",
        "下載客戶端", "關注我們", "关注我们", "加入會員", "加入会员", "掃碼關注", "扫码关注",
        "Subscribe", "Subscribe now", "Sign up", "Newsletter", "Sign up for our newsletter",
        "Follow us", "Download the app", "Get the app",
    ),
}

_PHRASE_REASON: dict[str, str] = {}
for _reason, _items in _PHRASES.items():
    for _item in _items:
        _PHRASE_REASON.setdefault(_item.lower(), _reason)

_SEP_CHARS = frozenset(" |｜/／·•・,，:：>»›-–—_.…。!！【】[]〔〕&")
_MAX_PHRASE = max(len(p) for p in _PHRASE_REASON)


def _only_phrases(text: str) -> str | None:
    """Reason of the first phrase if ``text`` is nothing but furniture phrases, counts and separators."""
    low = text.lower()
    i, n = 0, len(low)
    first: str | None = None
    while i < n:
        if low[i] in _SEP_CHARS or low[i].isspace():
            i += 1
            continue
        if low[i].isdigit() and (i == 0 or not low[i - 1].isalnum()):  # page numbers, counters
            j = i
            while j < n and low[j].isdigit():
                j += 1
            # a short number standing alone, not part of a date or time ("2016.08.20", "20:02")
            joined = (j < n - 1 and low[j] in ".:/-" and low[j + 1].isdigit()) or (
                i > 1 and low[i - 1] in ".:/-" and low[i - 2].isdigit())
            if j - i <= 3 and not joined and (j == n or not low[j].isalpha()):
                i = j
                continue
        for length in range(min(_MAX_PHRASE, n - i), 0, -1):
            reason = _PHRASE_REASON.get(low[i: i + length])
            if reason is None:
                continue
            end = i + length
            # a Latin phrase must end at a word boundary ("Line" is not the start of "Linear")
            if low[end - 1].isascii() and low[end - 1].isalnum() and end < n and low[end].isascii() \
                    and low[end].isalpha():
                continue
            first = first or reason
            i = end
            while i < n and (low[i].isdigit() or low[i] in "()（）"):  # "View comments941", "留言 (3)"
                i += 1
            break
        else:
            return None
    return first


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("comment-widget", re.compile(r"^(?:view |show |read )?\d+\s*(?:comments?|replies|"
                                  r"則留言|则留言|条评论|條評論|則評論|则评论|留言|評論|评论)$", re.I)),
    ("comment-widget", re.compile(r"^.{0,16}(?:抢沙发|搶沙發|坐沙发|坐沙發|评论已关闭|評論已關閉|"
                                  r"评论内容|評論內容|条评论|條評論|则留言|則留言|发表评论|發表評論|"
                                  r"参与评论|參與評論|网友评论|網友評論|暂无评论|暫無評論|还没有评论|"
                                  r"還沒有評論).{0,16}$")),
    ("copyright", re.compile(r"(?:©|\(c\)|copyright\b|版權所有|版权所有|all rights reserved|"
                             r"未經授權|未经授权|不得轉載|不得转载|禁止轉載|禁止转载|"
                             r"嚴禁轉載|严禁转载)", re.I)),
    ("navigation", re.compile(r"^from the section\b.{0,40}$|^section:.{0,40}$", re.I)),
    ("navigation", re.compile(r"^(?:返回|回到|進入|进入|前往)\S{0,6}(?:首页|首頁|頂部|顶部|列表|頻道|"
                              r"频道|專題|专题|目錄|目录|主页|主頁|页面|頁面)\S{0,4}$")),
    ("promotion", re.compile(r"^(?:read|watch|listen(?: to)?|see|click|follow|sign up|subscribe|download|"
                             r"find out more)\b\S*(?:\s+\S+){0,12}\s*$(?<![.!?])", re.I)),
    ("promotion", re.compile(r"^(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
                             r"(?:things|ways|reasons|questions|facts|charts|graphs|key|moments|lessons|"
                             r"takeaways|tips|pictures|photos)\b\S*(?:\s+\S+){0,12}\s*$(?<![.!?])", re.I)),
    ("promotion", re.compile(r"\blive (?:updates|coverage|blog|page|stream)\b|^(?:video|audio|watch|live|"
                             r"podcast|gallery|in pictures)\s*[:：]", re.I)),
    ("promotion", re.compile(r"^.{0,30}(?:加入|訂閱|订阅|追蹤|追踪|下載|下载|按讚|按赞).{0,12}"
                             r"(?:LINE|好友|粉絲團|粉丝团|頻道|频道|APP|公眾號|公众号).{0,20}$", re.I)),
    ("navigation", re.compile(r"^(?:全站分類|個人分類|全站分类|个人分类|此分類上一篇|此分類下一篇|"
                              r"分類|分类)\s*[:：]")),
    ("promotion", re.compile(r"^.{0,20}(?:(?:下載|下载|用|看)\s*APP|APP\s*(?:下載|下载)).{0,20}$", re.I)),
    ("promotion", re.compile(r"^(?:點擊|点击|掃描|扫描|掃碼|扫码|長按|长按|下載|下载|關注|关注|"
                             r"訂閱|订阅|追蹤|追踪|加入).{0,30}(?:二维码|二維碼|APP|App|app|公众号|"
                             r"公眾號|客户端|客戶端|粉絲團|粉丝团|微信|頻道|频道|官網|官网|LINE|YouTube)")),
    # "打开网易新闻 查看精彩图片", "打開APP閱讀全文": the app promo that replaces an image or the rest
    ("promotion", re.compile(r"^(?:打開|打开|下載|下载|前往)\S{0,10}\s*"
                             r"(?:查看|閱讀|阅读|觀看|观看|看)\S{0,8}$")),
    ("advertisement", re.compile(r"^(?:advertisement|廣告|广告)\b.{0,20}$", re.I)),
    ("advertisement", re.compile(r"^(?:story|article) continues below|^continue reading the main story$|"
                                 r"^supported by$|^(?:請繼續往下閱讀|请继续往下阅读|繼續閱讀|继续阅读|"
                                 r"文章未完|繼續看下去|继续看下去)", re.I)),
    ("navigation", re.compile(r"^(?:上一篇|下一篇|上一則|下一則|上一条|下一条|上一頁|下一頁|上一页|下一页|"
                              r"previous article|next article|previous story|next story)\s*[:：]", re.I)),
    ("boilerplate", re.compile(r"^(?:點擊|点击|點選)?(?:查看|看)?(?:大圖|大图|原圖|原图)$|^media playback is "
                               r"(?:unsupported|not supported) on your device$|^\d{1,3}\s*/\s*\d{1,3}$|"
                               r"^[\d\s.,|]+$", re.I)),
    ("boilerplate", re.compile(r"^this (?:article|story|page) is more than .{1,20} old$|"
                               r"^\d+\s*min(?:ute)?s?\s+read$|^閱讀時間|^阅读时间|^reuse this content$|"
                               r"^(?:last )?modified on\b", re.I)),
    ("boilerplate", re.compile(
        r"\b(?:we|this (?:web)?site) uses? cookies\b|\bcookie (?:policy|settings|preferences|consent)\b"
        r"|本網站使用|本网站使用", re.I)),
    # disclaimers and reprint notices: "本文仅代表作者个人观点。", "转发请注明本文链接"
    ("boilerplate", re.compile(r"^.{0,12}(?:本文|文章|此文)?(?:僅代表|仅代表|只代表|純屬|纯属)"
                               r"(?:作者|個人|个人|本人)|不代表本(?:站|網|网|報|报|台|刊|平台)|文責自負|"
                               r"文责自负|轉載請注明|转载请注明|轉發請注明|转发请注明|請注明出處|请注明出处|"
                               r"views expressed (?:here |in this )?(?:are|do not)|"
                               r"do not necessarily reflect", re.I)),
    # "Label:Headline" — a link label glued to a linked headline (no space after the colon)
    ("promotion", re.compile(r"^[A-Z][A-Za-z ,'’&-]{2,40}:[A-Z‘“\"'][^\n]{10,160}$")),
)

#: a relative time or bare timestamp: the dates of a related-stories list
TIME_AGO = re.compile(r"^(?:\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
                      r"\s+ago|yesterday|just now|\d+\s*(?:秒|分鐘|分钟|小時|小时|天|日|週|周|個月|个月)前|"
                      r"剛剛|刚刚|昨天|今天)$", re.I)

#: breadcrumbs: 3+ short segments joined by > >> » › | or spaced slashes
_CRUMB_SEP = re.compile(r"\s*(?:>>|>|»|›|\||｜)\s*|\s+[/／]\s+")
_MARKUP_TAG = re.compile(r"/?</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")


def furniture(text: str) -> str | None:
    """The drop reason if the whole line is page furniture, else None."""
    stripped = text.strip()
    if not stripped:
        return None
    if len(stripped) <= 120:
        reason = _only_phrases(stripped)
        if reason:
            return reason
    if not re.search(r"\w", stripped):  # only punctuation / symbols ("+", ">>", "|")
        return "markup-residue" if re.search(r"[<&]", stripped) else "boilerplate"
    if len(stripped) <= 160:
        for reason, pattern in _PATTERNS:
            if pattern.search(stripped):
                if reason in ("copyright", "boilerplate") and len(stripped) > 100:
                    continue
                return reason
    if breadcrumb(stripped) or re.match(r"^[>»›]\s*\S{1,12}$", stripped):
        return "navigation"
    if re.match(r"^[►▶➤➜→]\s*\S", stripped) and len(stripped) <= 60:
        return "promotion"
    return None


def breadcrumb(text: str) -> bool:
    """``udn / 社會 / 焦點事件``, ``首页 >> 教育资讯 >> 正文``, ``News > World > Asia``."""
    parts = [p for p in _CRUMB_SEP.split(text.strip())]
    if len(parts) < 3 and not (len(parts) == 2 and re.search(r"(?:>>|»|›)", text)):
        return False
    parts = [p for p in parts if p]
    if not parts:
        return True
    for part in parts:
        if len(part) > 24 or len(part.split()) > 4 or re.search(r"[。！？.!?]$", part):
            return False
        if re.fullmatch(r"[\d\s.,:]+", part):
            return False
    return True


def markup(text: str) -> tuple[str, list[str]]:
    """(text with HTML tags removed, the removed tags) — entities are handled by :func:`entities`."""
    tags = _MARKUP_TAG.findall(text)
    if not tags:
        return text, []
    return _MARKUP_TAG.sub(" ", text).strip(), tags


_EDGE_START = re.compile(r"^(?:\s*/?</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>)+\s*")
_EDGE_END = re.compile(r"\s*(?:/?</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>\s*)+$")


def edge_markup(text: str) -> tuple[str, list[str]]:
    """(text without the tags at its start and end, those tags): ``<p>正文</p>`` → ``正文``."""
    removed: list[str] = []
    m = _EDGE_START.match(text)
    if m and m.end() < len(text):
        removed.append(m.group(0).strip())
        text = text[m.end():]
    m = _EDGE_END.search(text)
    if m and m.start() > 0:
        removed.append(m.group(0).strip())
        text = text[: m.start()]
    return text.strip(), removed


def entities(text: str) -> str:
    """Decode HTML entities a scrape left (``&amp;`` ``&nbsp;`` ``&#12288;``)."""
    if not _ENTITY.search(text):
        return text
    import html

    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


#: Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai
_OTHER_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff"
                           r"\u0900-\u097f\u0e00-\u0e7f]")
_LETTER = re.compile(r"[^\W\d_]")


def foreign_chrome(text: str) -> bool:
    """A short line written mostly in a script the article does not use (Cyrillic, Greek, Arabic, Hebrew,
    Devanagari, Thai): the interface of the site that republished a Chinese or English story
    (``1 Просмотры``, ``Комментариев нет.``)."""
    letters = _LETTER.findall(text)
    if not letters or len(text.split()) > 6 or len(text) > 60:
        return False
    return len(_OTHER_SCRIPT.findall(text)) >= 0.6 * len(letters)
