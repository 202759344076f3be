"""Catalogue of the shared classification, NLI, relation and reading-comprehension datasets.

Every dataset has one label table: raw label -> the words a user would type. Instances carry
the full label set of their dataset (or facet) in those words; the mixture builder samples
negatives later. Splits are the files that exist; where a dataset has no official split the
only split is ``all`` (mr_polarity, subj, cr_custrev, mpqa, chnsenticorp_htl_all, waimai_10k,
online_shopping_10_cats, xquad/en, xquad/zh).

Records deliberately not turned into instances (counted and logged by the readers):
- chnsenticorp_htl_all: 1 review and online_shopping_10_cats: 1 review with an empty text;
- ocnli: pairs labelled ``-`` (no annotator majority): 15 in train, 50 in dev;
- cmrc2018 trial: 2 empty questions. (cmrc2018 dev has 193 reference answers with
  ``answer_start`` -1 that are not in the context; every such question has another, located
  reference, so only the references are dropped; 7 dev and 5 trial answers sit 1-2 characters
  off their ``answer_start`` and are taken at the nearest occurrence);
- subjqa: answerable questions whose answer cannot be found in the review (dev 20, test 8 of
  2,808; see ``squad.read_subjqa`` for the matching, which recovers 35 tokenised or edited
  answers);
- chinese_literature_ner_re/relation_extraction: 6 mentions that cross a sentence end are left
  out of the extract instances (their relations are kept);
- duie2_sample, duie2_more: entity strings that do not occur in the text (none in the
  sample).
Other choices, documented here because they change counts:
- trec gives two instances per question (facets ``coarse`` and ``fine``);
  online_shopping_10_cats two per review (``category`` and ``sentiment``);
- finre: records of the same (sentence, head, tail) are one instance with all their relations;
- relation data (conll04_re, ade_re, duie2_*, chinese_literature_ner_re/relation_extraction)
  yield an extract instance per sentence (entity mentions), a classify instance per related
  pair and up to ``negatives`` (2) unrelated pairs per sentence (gold ``[]``); SemEval
  ``Other`` and FinRE ``unknown`` are gold ``[]``; semeval and fewrel give no extract instances
  (their entities are untyped); ADE's entity type and relation are both called
  ``Adverse-Effect`` and share the word "adverse effect" (head = the effect, tail = the drug);
- Chinese literature texts were wrapped mid-word by PDF extraction: every line break is
  removed and sentences end at 。！？!?… (see ``brat.read_brat``); coreference lines are
  not used;
- the same relation annotated twice for one pair is one gold label (chinese literature:
  1 validation, 4 test; duie2_sample: 6 identical triples);
- fewrel: each split (a FewRel domain file) has its own relation set, the labels of its
  instances; the head/tail is the first listed occurrence;
- pairs become one text with ``compose.pair_text`` (NLI, mrpc, bustm; csl: abstract and its
  keywords joined by "，"); cluewsc asks whether the pronoun refers to the candidate with
  ``compose.relation_text(text, pronoun, candidate)``;
- clinc150's out-of-scope queries are their own splits (``oos_train`` ...), as in the file;
- yahoo/yelp/amazon texts: the two characters ``\\n`` become a newline;
- blank lines in line-based files hold no record (cr_custrev and mpqa have a few).
"""

from __future__ import annotations

from collections.abc import Mapping

from seqgpt.data import brat, duie, fewrel, finre, joint_json, pairs, semeval, squad, textcls
from seqgpt.data.registry import DatasetSpec, Reader, add

#: Every dataset this module registers, in registration order.
SPECS: list[DatasetSpec] = []


def _add(name: str, language: str, kind: str, files: Mapping[str, str | tuple[str, ...]],
         reader: Reader, label_names: Mapping[str, str], **options: object) -> None:
    SPECS.append(add(name, language, kind, files, reader, label_names, **options))


def _identity(*tags: str) -> dict[str, str]:
    return {tag: tag for tag in tags}


# --- label tables ---------------------------------------------------------------------------

_POLARITY_EN = {"pos": "positive", "neg": "negative"}
_POLARITY_ZH = {"1": "正面", "0": "负面"}
_NLI_EN = _identity("entailment", "neutral", "contradiction")
_NLI_BINARY = {"entailment": "entailment", "not_entailment": "not entailment"}

_CLINC_INTENTS = """
accept_reservations account_blocked alarm application_status apr are_you_a_bot balance
bill_balance bill_due book_flight book_hotel calculator calendar calendar_update calories
cancel cancel_reservation car_rental card_declined carry_on change_accent change_ai_name
change_language change_speed change_user_name change_volume confirm_reservation cook_time
credit_limit credit_limit_change credit_score current_location damaged_card date definition
direct_deposit directions distance do_you_have_pets exchange_rate expiration_date find_phone
flight_status flip_coin food_last freeze_account fun_fact gas gas_type goodbye greeting
how_busy how_old_are_you improve_credit_score income ingredient_substitution ingredients_list
insurance insurance_change interest_rate international_fees international_visa jump_start
last_maintenance lost_luggage make_call maybe meal_suggestion meaning_of_life
measurement_conversion meeting_schedule min_payment mpg new_card next_holiday next_song no
nutrition_info oil_change_how oil_change_when order order_checks order_status pay_bill
payday pin_change play_music plug_type pto_balance pto_request pto_request_status pto_used
recipe redeem_rewards reminder reminder_update repeat replacement_card_duration report_fraud
report_lost_card reset_settings restaurant_reservation restaurant_reviews restaurant_suggestion
rewards_balance roll_dice rollover_401k routing schedule_maintenance schedule_meeting
share_location shopping_list shopping_list_update smart_home spelling spending_history
sync_device taxes tell_joke text thank_you time timer timezone tire_change tire_pressure
todo_list todo_list_update traffic transactions transfer translate travel_alert
travel_notification travel_suggestion uber update_playlist user_name vaccines w2 weather
what_are_your_hobbies what_can_i_ask_you what_is_your_name what_song where_are_you_from
whisper_mode who_do_you_work_for who_made_you yes
""".split()
# Spelled-out abbreviations; every other intent reads as its words.
_CLINC_WORDS = {"apr": "annual percentage rate", "mpg": "miles per gallon", "w2": "w2 tax form",
                "pto_balance": "paid time off balance", "pto_request": "paid time off request",
                "pto_request_status": "paid time off request status",
                "pto_used": "paid time off used", "text": "text message"}
CLINC150 = {intent: _CLINC_WORDS.get(intent, intent.replace("_", " "))
            for intent in _CLINC_INTENTS} | {"oos": "out of scope"}

TREC_COARSE = {"ABBR": "abbreviation", "DESC": "description", "ENTY": "entity",
               "HUM": "human", "LOC": "location", "NUM": "number"}
# Li & Roth's fine question classes; "other"/"desc" occur under several coarse classes.
TREC_FINE = {
    "ABBR:abb": "abbreviation", "ABBR:exp": "expansion of an abbreviation",
    "DESC:def": "definition", "DESC:desc": "description", "DESC:manner": "manner",
    "DESC:reason": "reason",
    "ENTY:animal": "animal", "ENTY:body": "body part", "ENTY:color": "color",
    "ENTY:cremat": "creative work", "ENTY:currency": "currency",
    "ENTY:dismed": "disease or medicine", "ENTY:event": "event", "ENTY:food": "food",
    "ENTY:instru": "musical instrument", "ENTY:lang": "language", "ENTY:letter": "letter",
    "ENTY:other": "other entity", "ENTY:plant": "plant", "ENTY:product": "product",
    "ENTY:religion": "religion", "ENTY:sport": "sport", "ENTY:substance": "substance",
    "ENTY:symbol": "symbol", "ENTY:techmeth": "technique or method",
    "ENTY:termeq": "equivalent term", "ENTY:veh": "vehicle",
    "ENTY:word": "word with a special property",
    "HUM:desc": "description of a person", "HUM:gr": "group or organization",
    "HUM:ind": "individual", "HUM:title": "title of a person",
    "LOC:city": "city", "LOC:country": "country", "LOC:mount": "mountain",
    "LOC:other": "other location", "LOC:state": "state",
    "NUM:code": "code", "NUM:count": "count", "NUM:date": "date", "NUM:dist": "distance",
    "NUM:money": "money", "NUM:ord": "order", "NUM:other": "other number",
    "NUM:perc": "percentage", "NUM:period": "period", "NUM:speed": "speed",
    "NUM:temp": "temperature", "NUM:volsize": "size or volume", "NUM:weight": "weight",
}

SST5 = {"0": "very negative", "1": "negative", "2": "neutral", "3": "positive",
        "4": "very positive"}
# FastClass's classes.txt calls class 0 "politics"; it is AG News' World class.
AGNEWS = {"0": "world news", "1": "sports", "2": "business", "3": "science and technology"}
EMOTION = {"0": "sadness", "1": "surprise", "2": "disgust", "3": "love", "4": "guilt",
           "5": "anger", "6": "shame", "7": "fear", "8": "joy", "9": "no emotion"}
SITUATION = {"food": "food supply", "infra": "infrastructure", "med": "medical assistance",
             "search": "search and rescue", "shelter": "shelter",
             "utils": "utilities energy or sanitation", "water": "water supply",
             "evac": "evacuation", "regimechange": "regime change", "terrorism": "terrorism",
             "crimeviolence": "crime and violence", "out-of-domain": "out of domain"}
YAHOO = {"0": "society and culture", "1": "science and mathematics", "2": "health",
         "3": "education and reference", "4": "computers and internet", "5": "sports",
         "6": "business and finance", "7": "entertainment and music",
         "8": "family and relationships", "9": "politics and government"}
STARS = {"0": "1 star", "1": "2 stars", "2": "3 stars", "3": "4 stars", "4": "5 stars"}
GOEMOTIONS = {str(i): name for i, name in enumerate(
    "admiration amusement anger annoyance approval caring confusion curiosity desire "
    "disappointment disapproval disgust embarrassment excitement fear gratitude grief joy love "
    "nervousness optimism pride realization relief remorse sadness surprise neutral".split())}

# FewCLUE: names from label_index2en2zh.json (tnews) and the records' label_des (iflytek).
TNEWS = {"news_story": "故事", "news_culture": "文化", "news_entertainment": "娱乐",
         "news_sports": "体育", "news_finance": "财经", "news_house": "房产", "news_car": "汽车",
         "news_edu": "教育", "news_tech": "科技", "news_military": "军事",
         "news_travel": "旅游", "news_world": "国际", "news_stock": "股票",
         "news_agriculture": "农业", "news_game": "电竞"}
IFLYTEK = {str(i): name for i, name in enumerate("""
打车 地图导航 免费WIFI 租车 同城服务 快递物流 婚庆 家政 公共交通 政务 社区服务 薅羊毛 魔幻 仙侠
卡牌 飞行空战 射击游戏 休闲益智 动作类 体育竞技 棋牌中心 经营养成 策略 MOBA 辅助工具 约会社交
即时通讯 工作社交 论坛圈子 婚恋社交 情侣社交 社交工具 生活社交 微博博客 新闻 漫画 小说 技术 教辅
问答交流 搞笑 杂志 百科 影视娱乐 求职 兼职 视频 短视频 音乐 直播 电台 K歌 成人 中小学 职考
公务员 英语 视频教育 高等教育 成人教育 艺术 语言(非英语) 旅游资讯 综合预定 民航 铁路 酒店
行程管理 民宿短租 出国 工具 亲子儿童 母婴 驾校 违章 汽车咨询 汽车交易 日常养车 行车辅助 租房
买房 装修家居 电子产品 问诊挂号 养生保健 医疗服务 减肥瘦身 美妆美业 菜谱 餐饮店 体育咨讯
运动健身 支付 保险 股票 借贷 理财 彩票 记账 银行 美颜 影像剪辑 摄影修图 相机 绘画 二手 电商 团购
外卖 电影票务 社区超市 购物咨询 笔记 办公 日程管理 女性 经营 收款 其他""".split())}
CSLDCP = _identity(*"""
材料科学与工程 作物学 口腔医学 药学 教育学 水利工程 理论经济学 食品科学与工程 畜牧学/兽医学
体育学 核科学与技术 力学 园艺学 水产 法学 地质学/地质资源与地质工程 石油与天然气工程
农林经济管理 信息与通信工程 图书馆、情报与档案管理 政治学 电气工程 海洋科学 民族学
航空宇航科学与技术 化学/化学工程与技术 哲学 公共卫生与预防医学 艺术学 农业工程 船舶与海洋工程
计算机科学与技术 冶金工程 交通运输工程 动力工程及工程热物理 纺织科学与工程 建筑学 环境科学与工程
公共管理 数学 物理学 林学/林业工程 心理学 历史学 工商管理 应用经济学 中医学/中药学 天文学
机械工程 土木工程 光学工程 地理学 农业资源利用 生物学/生物科学与工程 兵器科学与技术 矿业工程
大气科学 基础医学/临床医学 电子科学与技术 测绘科学与技术 控制科学与工程 军事学 中国语言文学
新闻传播学 社会学 地球物理学 植物保护""".split())
# The reviews of "蒙牛" are about its milk; "平板" is a tablet computer.
SHOPPING_CATEGORIES = {"书籍": "书籍", "平板": "平板电脑", "手机": "手机", "水果": "水果",
                       "洗发水": "洗发水", "热水器": "热水器", "蒙牛": "牛奶", "衣服": "衣服",
                       "计算机": "计算机", "酒店": "酒店"}

# Directed SemEval relations: the head plays the first role (cause, component, ...).
SEMEVAL = {"Cause-Effect": "cause and effect", "Component-Whole": "component and whole",
           "Content-Container": "content and container",
           "Entity-Destination": "entity and destination", "Entity-Origin": "entity and origin",
           "Instrument-Agency": "instrument and agency",
           "Member-Collection": "member and collection", "Message-Topic": "message and topic",
           "Product-Producer": "product and producer"}
CONLL04_ENTITIES = {"Peop": "person", "Loc": "location", "Org": "organization",
                    "Other": "other"}
CONLL04_RELATIONS = {"Work_For": "works for", "Kill": "kills",
                     "OrgBased_In": "organization based in", "Live_In": "lives in",
                     "Located_In": "located in"}
# Wikidata property names as in FewRel's pid2name.json; UMLS relation names spelled out.
FEWREL_WIKI = {
    "P25": "mother", "P26": "spouse", "P40": "child", "P50": "author",
    "P54": "member of sports team", "P59": "constellation", "P108": "employer",
    "P155": "follows", "P161": "cast member", "P162": "producer", "P166": "award received",
    "P171": "parent taxon", "P172": "ethnic group", "P177": "crosses",
    "P186": "material used", "P206": "located in or next to body of water",
    "P272": "production company", "P344": "director of photography", "P361": "part of",
    "P364": "original language of film or TV show", "P410": "military rank",
    "P412": "voice type", "P413": "position played on team / speciality",
    "P414": "stock exchange", "P452": "industry", "P463": "member of",
    "P509": "cause of death", "P641": "sport", "P749": "parent organization",
    "P921": "main subject", "P1056": "product or material produced",
    "P1441": "present in work", "P2094": "competition class",
}
FEWREL_PUBMED = {name: name.replace("_", " ") for name in (
    "biological_process_involves_gene_product", "inheritance_type_of",
    "is_normal_tissue_origin_of_disease", "ingredient_of",
    "is_primary_anatomic_site_of_disease", "gene_found_in_organism", "occurs_in",
    "causative_agent_of", "classified_as", "gene_plays_role_in_process")}
# relation2id.txt without "unknown" (no relation); "自己" marks two names of one company.
FINRE = _identity(*"""
注资 拥有 纠纷 增持 重组 买资 签约 持股 交易 入股 转让 成立 分析 合作 帮助 发行 商讨 合并 竞争
订单 减持 合资 收购 借壳 欠款 被发行 被转让 被成立 被注资 被持股 被拥有 被收购 被帮助 被借壳
被买资 被欠款 被增持 拟收购 被减持 被分析 被入股 被拟收购""".split()) | {"自己": "同一实体"}
LITERATURE_ENTITIES = {
    "Person-Name": "人名", "Person-Nominal": "人物", "Person-Pronoun": "人称代词",
    "Location-Name": "地名", "Location-Nominal": "地点", "Location-Pronoun": "地点代词",
    "Organization-Name": "机构名", "Organization-Nominal": "机构",
    "Organization-Pronoun": "机构代词", "Thing-Name": "物名", "Thing-Nominal": "事物",
    "Thing-Pronoun": "事物代词", "Time-Explicit": "具体时间", "Time-Implicit": "模糊时间",
    "Metric": "数量", "Abstract": "抽象事物", "Physical": "物理实体"}
# Arg1 -> Arg2: "Located" = Arg1 is located at Arg2, "Part-Whole" = Arg1 is part of Arg2 ...
LITERATURE_RELATIONS = {"Located": "位于", "Part-Whole": "部分与整体", "Family": "亲属",
                        "General-Special": "一般与特殊", "Social": "社会关系",
                        "Ownership": "拥有", "Use": "使用", "Create": "创造", "Near": "邻近"}
DUIE_TYPES = _identity(
    "人物", "影视作品", "歌曲", "图书作品", "机构", "企业", "娱乐人物", "电视综艺", "学校", "国家",
    "历史人物", "音乐专辑", "地点", "奖项", "行政区", "文学作品", "作品", "企业/品牌", "城市",
    "气候", "景点", "语言", "学科专业") | {"Date": "日期", "Number": "数值", "Text": "文本"}
DUIE_PREDICATES = _identity(
    "毕业院校", "嘉宾", "配音", "主题曲", "代言人", "所属专辑", "父亲", "作者", "上映时间",
    "母亲", "专业代码", "占地面积", "邮政编码", "票房", "注册资本", "主角", "妻子", "编剧",
    "气候", "歌手", "获奖", "校长", "创始人", "首都", "丈夫", "朝代", "饰演", "面积",
    "总部地点", "祖籍", "人口数量", "制片人", "修业年限", "所在城市", "董事长", "作词",
    "改编自", "出品公司", "导演", "作曲", "主演", "主持人", "成立日期", "简称", "海拔", "号",
    "国籍", "官方语言")


# --- 4. text classification ------------------------------------------------------------------

_add("clinc150", "en", "cls",
     {s: "clinc150/data_full.json"
      for s in ("train", "val", "test", "oos_train", "oos_val", "oos_test")},
     textcls.read_json_texts, CLINC150, layout="splits")
_add("trec", "en", "cls", {"train": "trec/TREC.train", "test": "trec/TREC.test"},
     textcls.read_trec, TREC_COARSE | TREC_FINE, encoding="cp1252",
     facets={"coarse": tuple(TREC_COARSE), "fine": tuple(TREC_FINE)})
_add("sst2_sentence", "en", "cls",
     {s: f"sst2_sentence/stsa.binary.{s}" for s in ("train", "dev", "test")},
     textcls.read_delimited, {"1": "positive", "0": "negative"}, sep=" ")
_add("sst5_sentence", "en", "cls",
     {s: f"sst5_sentence/stsa.fine.{s}" for s in ("train", "dev", "test")},
     textcls.read_delimited, SST5, sep=" ")
# MR and Subj are cp1252 (0x85 "…", 0x91-0x97 quotes and dashes), no official split.
_add("mr_polarity", "en", "cls",
     {"all": ("mr_polarity/rt-polarity.pos", "mr_polarity/rt-polarity.neg")},
     textcls.read_file_labelled, _POLARITY_EN, encoding="cp1252")
_add("subj", "en", "cls", {"all": ("subj/subj.objective", "subj/subj.subjective")},
     textcls.read_file_labelled, _identity("objective", "subjective"), encoding="cp1252")
_add("cr_custrev", "en", "cls", {"all": ("cr_custrev/custrev.pos", "cr_custrev/custrev.neg")},
     textcls.read_file_labelled, _POLARITY_EN)
_add("mpqa", "en", "cls", {"all": ("mpqa/mpqa.pos", "mpqa/mpqa.neg")},
     textcls.read_file_labelled, _POLARITY_EN)
_add("agnews", "en", "cls", {"test": "agnews/test.txt"}, textcls.read_delimited, AGNEWS)
_add("emotion_yin2019", "en", "cls",
     {"train": "emotion_yin2019/train.txt", "test": "emotion_yin2019/test.txt"},
     textcls.read_delimited, EMOTION)
_add("situation_yin2019", "en", "cls",
     {s: f"situation_yin2019/{s}.txt"
      for s in ("dev", "test", "train_pu_half_v0", "train_pu_half_v1")},
     textcls.read_delimited, SITUATION, label_sep=" ", multi_label=True)
_add("goemotions", "en", "cls",
     {s: f"goemotions/{s}.tsv" for s in ("train", "dev", "test")},
     textcls.read_delimited, GOEMOTIONS,
     columns=3, text_col=0, label_col=1, label_sep=",", multi_label=True)
for _name, _table in (("yahoo_answers", YAHOO), ("yelp_review", STARS), ("amazon_review", STARS)):
    _add(f"ssl_text_cls_powerfulpromptft/{_name}", "en", "cls",
         {s: f"ssl_text_cls_powerfulpromptft/{_name}/{s}.json" for s in ("dev", "test")},
         textcls.read_json_texts, _table, layout="dict", text_key="ori",
         literal_newlines=True)

_FEWCLUE = {"train": "train_few_all.json", "dev": "dev_few_all.json",
            "test": "test_public.json"}
_add("fewclue/tnews", "zh", "cls", {s: f"fewclue/tnews/{f}" for s, f in _FEWCLUE.items()},
     textcls.read_json_texts, TNEWS, text_key="sentence", label_key="label_desc")
_add("fewclue/iflytek", "zh", "cls", {s: f"fewclue/iflytek/{f}" for s, f in _FEWCLUE.items()},
     textcls.read_json_texts, IFLYTEK, text_key="sentence")
_add("fewclue/eprstmt", "zh", "cls", {s: f"fewclue/eprstmt/{f}" for s, f in _FEWCLUE.items()},
     textcls.read_json_texts, {"Positive": "正面", "Negative": "负面"}, text_key="sentence")
_add("fewclue/csldcp", "zh", "cls", {s: f"fewclue/csldcp/{f}" for s, f in _FEWCLUE.items()},
     textcls.read_json_texts, CSLDCP, text_key="content")
_add("fewclue/bustm", "zh", "cls", {s: f"fewclue/bustm/{f}" for s, f in _FEWCLUE.items()},
     pairs.read_pairs, {"1": "意思相同", "0": "意思不同"},
     json_fields=("sentence1", "sentence2", "label"))
_add("fewclue/csl", "zh", "cls",
     {s: f"fewclue/csl/{f}" for s, f in _FEWCLUE.items() if s != "test"},
     pairs.read_pairs, {"1": "关键词正确", "0": "关键词错误"},
     json_fields=("abst", "keyword", "label"), join="，")
_add("fewclue/cluewsc", "zh", "cls", {s: f"fewclue/cluewsc/{f}" for s, f in _FEWCLUE.items()},
     pairs.read_wsc, {"true": "指代相同", "false": "指代不同"})

_add("chnsenticorp_htl_all", "zh", "cls",
     {"all": "chnsenticorp_htl_all/ChnSentiCorp_htl_all.csv"},
     textcls.read_csv, _POLARITY_ZH, text_field="review", skip_empty_text=True)
_add("waimai_10k", "zh", "cls", {"all": "waimai_10k/waimai_10k.csv"},
     textcls.read_csv, _POLARITY_ZH, text_field="review")
_add("online_shopping_10_cats", "zh", "cls",
     {"all": "online_shopping_10_cats/online_shopping_10_cats.subsample.csv"},
     textcls.read_csv, SHOPPING_CATEGORIES | _POLARITY_ZH, text_field="review",
     label_fields={"category": "cat", "sentiment": "label"}, skip_empty_text=True,
     facets={"category": tuple(SHOPPING_CATEGORIES), "sentiment": tuple(_POLARITY_ZH)})

# --- 5. NLI and sentence pairs ---------------------------------------------------------------

_GLUE = "glue_subsets_powerfulpromptft"
_add(f"{_GLUE}/RTE", "en", "nli",
     {"train": f"{_GLUE}/RTE/train.json", "dev": f"{_GLUE}/RTE/dev.json",
      "glue_dev_as_test": f"{_GLUE}/RTE/glue_dev_as_test.tsv"},
     pairs.read_pairs, _NLI_BINARY, layout="dict",
     tsv_columns=("sentence1", "sentence2", "label"))
_add(f"{_GLUE}/MNLI", "en", "nli",
     {"train": f"{_GLUE}/MNLI/train.json", "dev": f"{_GLUE}/MNLI/dev.json"},
     pairs.read_pairs, _NLI_EN, layout="dict")
_add(f"{_GLUE}/SNLI", "en", "nli",
     {"train": f"{_GLUE}/SNLI/train.json", "dev": f"{_GLUE}/SNLI/dev.json"},
     pairs.read_pairs, _NLI_EN, layout="dict")
_add(f"{_GLUE}/QNLI", "en", "nli", {"dev": f"{_GLUE}/QNLI/dev.json"},
     pairs.read_pairs, _NLI_BINARY, layout="dict")
_add("sick2014", "en", "nli",
     {"train": "sick2014/SICK_train.txt", "trial": "sick2014/SICK_trial.txt",
      "test": "sick2014/SICK_test_annotated.txt"},
     pairs.read_pairs,
     {"ENTAILMENT": "entailment", "NEUTRAL": "neutral", "CONTRADICTION": "contradiction"},
     tsv_columns=("sentence_A", "sentence_B", "entailment_judgment"))
_add("mrpc", "en", "nli",
     {s: f"mrpc/msr-para-{s}.tsv" for s in ("train", "val", "test")},
     pairs.read_pairs, {"1": "paraphrase", "0": "not paraphrase"},
     tsv_columns=("#1 String", "#2 String", "Quality"))
_add("ocnli", "zh", "nli", {"train": "ocnli/train.10k.json", "dev": "ocnli/dev.json"},
     pairs.read_pairs, {"entailment": "蕴含", "neutral": "中立", "contradiction": "矛盾"},
     json_fields=("sentence1", "sentence2", "label"), no_gold="-")

# --- 6. relation extraction ------------------------------------------------------------------

_add("semeval2010_task8", "en", "re",
     {"train": "semeval2010_task8/TRAIN_FILE.TXT",
      "test": "semeval2010_task8/TEST_FILE_FULL.TXT"},
     semeval.read_marked_pairs, SEMEVAL, no_relation="Other")
_add("conll04_re", "en", "re",
     {s: f"conll04_re/{s}.CoNLL04.json" for s in ("train", "valid", "test")},
     joint_json.read_joint_json, CONLL04_ENTITIES | CONLL04_RELATIONS,
     facets={"entity": tuple(CONLL04_ENTITIES), "relation": tuple(CONLL04_RELATIONS)})
_add("ade_re", "en", "re",
     {s: f"ade_re/{s}.ADE0.json" for s in ("train", "valid", "test")},
     joint_json.read_joint_json, {"Drug": "drug", "Adverse-Effect": "adverse effect"},
     facets={"entity": ("Drug", "Adverse-Effect"), "relation": ("Adverse-Effect",)})
_add("fewrel", "en", "re",
     {s: f"fewrel/{s}.json" for s in ("val_wiki", "val_pubmed", "val_nyt")},
     fewrel.read_fewrel, FEWREL_WIKI | FEWREL_PUBMED)
_add("finre", "zh", "re", {"valid": "finre/valid.txt", "test": "finre/test.txt"},
     finre.read_finre, FINRE, no_relation="unknown", multi_label=True)
_add("chinese_literature_ner_re/relation_extraction", "zh", "re",
     {"validation": "chinese_literature_ner_re/relation_extraction/Validation",
      "test": "chinese_literature_ner_re/relation_extraction/Testing"},
     brat.read_brat, LITERATURE_ENTITIES | LITERATURE_RELATIONS, multi_label=True,
     facets={"entity": tuple(LITERATURE_ENTITIES), "relation": tuple(LITERATURE_RELATIONS)})
# DuIE types only the arguments of its relations: the entity instances are partial.
_DUIE_OPTIONS: dict[str, object] = {
    "multi_label": True, "partial_entities": True,
    "facets": {"entity": tuple(DUIE_TYPES), "relation": tuple(DUIE_PREDICATES)}}
_add("duie2_sample", "zh", "re", {"train": "duie2_sample/train_data_5000.json"},
     duie.read_duie, DUIE_TYPES | DUIE_PREDICATES, **_DUIE_OPTIONS)
_add("duie2_more", "zh", "re",
     {"train": "duie2_more/train_part.json", "dev": "duie2_more/dev.json"},
     duie.read_duie, DUIE_TYPES | DUIE_PREDICATES, **_DUIE_OPTIONS)

# --- 7. reading comprehension ----------------------------------------------------------------

_add("cmrc2018", "zh", "mrc",
     {"dev": "cmrc2018/cmrc2018_dev.json", "trial": "cmrc2018/cmrc2018_trial.json"},
     squad.read_squad, {}, relocate_answers=True, skip_unlocated=True,
     skip_empty_questions=True)
_add("drcd", "zh", "mrc", {"dev": "drcd/DRCD_dev.json", "test": "drcd/DRCD_test.json"},
     squad.read_squad, {})
_add("xquad/en", "en", "mrc", {"all": "xquad/xquad.en.json"}, squad.read_squad, {})
_add("xquad/zh", "zh", "mrc", {"all": "xquad/xquad.zh.json"}, squad.read_squad, {})
_add("subjqa", "en", "mrc",
     {"dev": tuple(f"subjqa/{d}/dev.csv" for d in
                   ("books", "electronics", "grocery", "movies", "restaurants", "tripadvisor")),
      "test": ("subjqa/electronics/test.csv", "subjqa/restaurants/test.csv")},
     squad.read_subjqa, {}, skip_unlocated=True)
