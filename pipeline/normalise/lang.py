"""Language from script: Han vs Latin, and zh-Hant vs zh-Hans by characters the scripts write differently.

Only characters whose simplified and traditional forms are distinct code points *and* that are not
also in normal use in the other script are listed (so 后/後, 干/幹, 里/裡 are left out).
"""

from __future__ import annotations

import re
from collections import Counter

#: simplified/traditional pairs of frequent characters ("ST" per item).
_PAIRS = (
    "们們 这這 国國 会會 说說 为為 时時 个個 来來 对對 发發 经經 过過 还還 进進 动動"
    " 实實 现現 间間 问問 关關 开開 体體 与與 长長 门門 见見 东東 应應 书書 学學 员員"
    " 业業 产產 务務 区區 记記 报報 场場 认認 让讓 导導 头頭 义義 议議 调調 论論 张張"
    " 边邊 该該 则則 电電 数數 总總 统統 无無 从從 没沒 样樣 气氣 题題 条條 处處 万萬"
    " 农農 军軍 车車 马馬 鸟鳥 鱼魚 龙龍 风風 飞飛 华華 乐樂 网網 线線 组組 织織 红紅"
    " 纪紀 约約 级級 结結 给給 绝絕 续續 维維 综綜 编編 练練 终終 绍紹 语語 话話 误誤"
    " 请請 读讀 谁誰 谈談 课課 词詞 识識 试試 证證 评評 设設 访訪 许許 诉訴 译譯 讲講"
    " 计計 订訂 亲親 观觀 规規 视視 览覽 觉覺 贵貴 费費 资資 购購 货貨 财財 质質 负負"
    " 责責 贸貿 贷貸 赛賽 赵趙 钱錢 银銀 铁鐵 钟鐘 错錯 锁鎖 镇鎮 阳陽 阴陰 际際 陆陸"
    " 队隊 险險 随隨 韩韓 页頁 顺順 须須 领領 频頻 颜顏 饭飯 馆館 驾駕 验驗 鲁魯 齐齊"
    " 广廣 庆慶 库庫 废廢 异異 弹彈 归歸 当當 录錄 彻徹 径徑 忆憶 态態 怀懷 恶惡 戏戲"
    " 战戰 户戶 扩擴 扫掃 抢搶 护護 担擔 拥擁 拨撥 择擇 挥揮 损損 换換 据據 携攜 敌敵"
    " 断斷 旧舊 显顯 晓曉 暂暫 杂雜 权權 杨楊 极極 构構 标標 树樹 桥橋 档檔 梦夢 检檢"
    " 楼樓 欢歡 欧歐 残殘 毕畢 汇匯 汉漢 沟溝 沪滬 泪淚 泽澤 洁潔 测測 济濟 浅淺 浓濃"
    " 涨漲 渐漸 湾灣 满滿 灭滅 灯燈 灵靈 热熱 爱愛 牵牽 状狀 犹猶 独獨 狱獄 献獻 环環"
    " 疗療 盖蓋 监監 盘盤 确確 碍礙 礼禮 祸禍 离離 种種 积積 称稱 穷窮 竞競 笔筆 节節"
    " 篮籃 类類 粮糧 紧緊 纯純 纳納 纸紙 细細 绿綠 缩縮 罗羅 职職 联聯 肃肅 胜勝 脑腦"
    " 舰艦 艺藝 苏蘇 药藥 获獲 虑慮 虽雖 补補 装裝 触觸 誉譽 贝貝 贡貢 败敗 贫貧 贴貼"
    " 赶趕 轻輕 输輸 办辦 迁遷 运運 连連 选選 递遞 遗遺 邮郵 邻鄰 释釋 针針 锋鋒 闭閉"
    " 闻聞 阵陣 难難 预預 顾顧 饮飲 驱驅 鸡雞 黄黃 盐鹽 爷爺 伤傷 传傳 价價 优優 众眾"
    " 儿兒 写寫 军軍 农農 划劃 创創 剧劇 卫衛 厂廠 厅廳 压壓 参參 双雙 变變 听聽 员員"
    " 团團 围圍 图圖 坚堅 块塊 声聲 备備 够夠 奋奮 妇婦 孙孫 宁寧 宝寶 实實 将將 尔爾"
    " 尽盡 层層 岁歲 师師 帮幫 干幹 并並 庄莊 应應 开開 强強 归歸 惊驚 惯慣 戏戲 执執"
    " 扬揚 护護 报報 持持 挤擠 挡擋 显顯 时時 术術 杀殺 机機 权權 条條 极極 气氣 汤湯"
    " 沧滄 涌湧 滨濱 灾災 炉爐 烦煩 烧燒 爆爆 牺犧 猎獵 现現 电電 畅暢 疯瘋 皱皺 盏盞"
    " 矿礦 码碼 砖磚 础礎 硕碩 确確 祝祝 秘祕 稳穩 窃竊 竖豎 筑築 签簽 简簡 粤粵 紧緊"
    " 纠糾 红紅 纤纖 纷紛 纹紋 纽紐 线線 练練 组組 绅紳 细細 织織 终終 经經 绑綁 绕繞"
    " 给給 络絡 绞絞 统統 继繼 绩績 绪緒 续續 绳繩 维維 绵綿 综綜 绿綠 缓緩 编編 缘緣"
    " 缝縫 缺缺 网網 罚罰 罢罷 职職 肤膚 肿腫 胆膽 胁脅 脏髒 脸臉 腊臘 舆輿 舱艙 艰艱"
    " 节節 芦蘆 苍蒼 范範 荐薦 荣榮 药藥 莱萊 获獲 营營 萧蕭 蓝藍 蕴蘊 虫蟲 虾蝦 蚀蝕"
    " 蛮蠻 衅釁 衔銜 补補 衬襯 袭襲 装裝 见見 规規 觅覓 视視 览覽 觉覺 触觸 誊謄 计計"
    " 认認 讨討 让讓 训訓 议議 讯訊 记記 讲講 讼訟 论論 讽諷 设設 访訪 证證 评評 识識"
    " 诈詐 诊診 词詞 译譯 试試 诗詩 诚誠 话話 询詢 该該 详詳 语語 误誤 说說 请請 诸諸"
    " 诺諾 读讀 课課 谁誰 调調 谈談 谊誼 谋謀 谓謂 谢謝 谨謹 谱譜 贝貝 负負 贡貢 财財"
    " 责責 贤賢 败敗 账賬 货貨 质質 贩販 贪貪 贫貧 购購 贯貫 贴貼 贵貴 贷貸 贸貿 费費"
    " 贺賀 资資 赋賦 赌賭 赔賠 赖賴 赚賺 赞贊 赠贈 赢贏 赶趕 趋趨 跃躍 践踐 踪蹤 车車"
    " 轨軌 转轉 轮輪 软軟 轰轟 轻輕 载載 较較 辅輔 辆輛 辈輩 辉輝 输輸 辖轄 辞辭 边邊"
    " 达達 迁遷 过過 迈邁 运運 还還 这這 进進 远遠 违違 连連 迟遲 适適 选選 逊遜 递遞"
    " 逻邏 遗遺 邓鄧 邮郵 邻鄰 郑鄭 酝醞 酱醬 释釋 钓釣 钢鋼 钥鑰 钦欽 钻鑽 铁鐵 铜銅"
    " 铭銘 银銀 链鏈 销銷 锁鎖 锅鍋 锐銳 错錯 锻鍛 镇鎮 镜鏡 长長 门門 闪閃 闭閉 问問"
    " 闯闖 闲閒 间間 闷悶 闹鬧 闻聞 阅閱 队隊 阳陽 阶階 际際 陆陸 陈陳 险險 随隨 隐隱"
    " 难難 雾霧 韦韋 韩韓 顶頂 项項 顺順 须須 顽頑 顾顧 顿頓 预預 领領 频頻 题題 颜顏"
    " 额額 风風 飘飄 饥飢 饭飯 饮飲 饰飾 饱飽 饼餅 馆館 驰馳 驱驅 驶駛 驻駐 验驗 骑騎"
    " 骗騙 鱼魚 鲜鮮 鸟鳥 鸡雞 鸣鳴 麦麥 黄黃 齐齊 齿齒 龄齡 龙龍 党黨 复復 岛島 寿壽"
    " 卖賣 买買 乡鄉 亚亞 产產 仅僅 从從 仑崙 仓倉 们們 价價 众眾 优優 伙夥 会會 伟偉"
    " 传傳 伤傷 伦倫 伪偽 体體 佣傭 侠俠 侣侶 侦偵 侧側 侨僑 俭儉 债債 倾傾 偿償"
)

SIMPLIFIED: frozenset[str] = frozenset(p[0] for p in _PAIRS.split() if p[0] != p[1])
TRADITIONAL: frozenset[str] = frozenset(p[1] for p in _PAIRS.split() if p[0] != p[1])
# 干 and 并/並 occur in traditional text too (干擾, 并且 is rare but 干 is common): keep them out.
SIMPLIFIED = SIMPLIFIED - {"干", "并", "范", "秘", "脏", "闲"}

#: frequent characters written alike in both scripts (for encoding plausibility).
_SHARED = (
    "的一是不了在人有我他中上大和地到以就出要也可你而子得下自之年作里用道行所然家事成方多去法如都同好"
    "小部其些主心她本前但因只想意力它把十第公此已工使情明性知全三又正外两高由很最重物手向什二等或新己"
    "制身果加西月合回特代信表化老世位次度任常先海通教原提立及比解水名真走各入口平系活更打女四神何安少"
    "才反受目太量再感建做接必件管期市直德命山金指克至形社便空白非吧阿念六引史局突另周考落青希古房半土"
    "投某案黑革致律足七派孩星章音跟志底站例防族供效施留型料答奇察母京段依批群故按河米境客父低朝友止千"
    "值仍男破助倒坐帝限船威否刻般普怕校苦承印晚股拿若哪微尼送急血素夜省初喜源食待述置居福雷模充停木疑"
    "冷洲射略竟句室激村哈策卡罪判州既衣您宗余痛差富角占配征皮降善超免皇伊副抗犯宣佛怪香田左右份穿背草"
    "概敢守酒托央烈洋哥索胡款靠版座弟登互付伯慢危忙核暗姐介良序升亮露永呼味野架域沙掉括吉楚肯屋跑散困"
    "封救缺尚毫移娘朋班智亦耳恩短掌恐席松日月年時时上下人民政府市區区縣县省"
)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

COMMON_HAN: frozenset[str] = frozenset(_SHARED) | SIMPLIFIED | TRADITIONAL


def is_han(ch: str) -> bool:
    return bool(_HAN.match(ch))


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def detect(text: str) -> str:
    """BCP 47 tag from the script: zh-Hant / zh-Hans / zh, ja, ko, ru, else en for Latin text."""
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    cyr = len(_CYRILLIC.findall(text))
    if kana > 20 and kana * 10 > han:
        return "ja"
    if hangul > han and hangul * 2 > latin:
        return "ko"
    if han and han * 3 >= latin:
        counts = Counter(text)
        simp = sum(n for ch, n in counts.items() if ch in SIMPLIFIED)
        trad = sum(n for ch, n in counts.items() if ch in TRADITIONAL)
        if trad > simp:
            return "zh-Hant"
        if simp > trad:
            return "zh-Hans"
        return "zh"
    if cyr > latin:
        return "ru"
    return "en"


def common_han_ratio(text: str) -> tuple[int, float]:
    """(Han count, share of Han characters that are frequent ones): low for a wrong CJK decoding."""
    hans = _HAN.findall(text)
    if not hans:
        return 0, 0.0
    return len(hans), sum(1 for h in hans if h in COMMON_HAN) / len(hans)
