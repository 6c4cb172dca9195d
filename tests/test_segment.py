"""Segmentation, FTS query building, highlighting, fusion and calibration — no model, no index."""
from __future__ import annotations


import numpy as np
import pytest

from models.segment import Corrector, Segmenter, Synonyms, department_variants, derive_terms, edit_distance_one, same_tones
from search import ranking


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    # The curated dictionary plus a few corpus-derived terms, as an index build would add them.
    return Segmenter.from_dir(extra_words=["索县应急管理局", "应急管理局", "索县自然资源和林草局"])


def test_user_dictionary_terms_stay_whole(seg):
    assert "森林草原防火" in seg.words_of("负责森林草原防火、林草湿地资源的宣传工作")
    assert "河湖长制" in seg.words_of("落实河湖长制责任")
    assert "禁牧区" in seg.words_of("有人在禁牧区搭圈舍")
    assert "索县应急管理局" in seg.words_of("索县应急管理局:综合指导")


def test_index_tokens_include_words_inside_long_words(seg):
    tokens = seg.tokens("索县应急管理局")
    assert tokens[0] == "索县应急管理局"
    assert {"应急管理局", "管理局", "应急"} <= set(tokens)
    # so a query for the short name meets the long one
    assert "应急管理局" in seg.query_terms("应急管理局").tokens


def test_words_inside_long_words_follow_its_most_probable_split(seg):
    """A word inside a longer one counts only where the longer word's own split puts its edges:
    邻居家 is 邻居 | 家, so 居家 (居家养老) is not in it; 森林草原防火 holds 草原防火, not 林草."""
    assert all(seg._tokenizer.FREQ.get(w) for w in ("居家", "林草", "邻居"))  # all dictionary words
    assert "居家" not in seg.tokens("邻居家") and "邻居" in seg.tokens("邻居家")
    inside = set(seg.tokens("森林草原防火"))
    assert {"草原防火", "森林", "草原", "防火"} <= inside and "林草" not in inside
    assert "居家" not in seg.query_terms("邻居家的狗老咬人").keyword


def test_colloquial_question_words_are_stop_words(seg):
    assert seg.query_terms("开网吧要办啥手续").keyword == ["网吧"]
    assert "咋办" not in seg.query_terms("草场被人占了咋办").tokens


def test_stop_words_and_question_words_dropped(seg):
    terms = seg.query_terms("山林着火了谁负责")
    assert "谁" not in terms.tokens and "负责" not in terms.tokens and "了" not in terms.tokens
    assert "山林" in terms.tokens


def test_same_cut_at_index_and_query_time(seg):
    text = "做好森林、草原火灾的预防、扑救和处置工作"
    assert seg.tokens(text) == seg.tokens(text)
    assert set(seg.query_terms(text).tokens) == set(seg.tokens(text))


def test_synonyms_expand_staff_words_to_list_words(seg):
    assert "森林草原防火" in seg.query_terms("山林着火了谁负责").expansions
    assert "流动人口" in seg.query_terms("外来人口登记").expansions
    assert "烟花爆竹" in seg.query_terms("卖鞭炮的店谁管").expansions


def test_synonym_groups_two_way_and_rules_one_way(seg):
    assert "应急管理局" in seg.query_terms("应急局").expansions
    assert "应急局" in seg.query_terms("应急管理局").expansions
    # one-way: the official term does not expand back to colloquial words
    assert "山火" not in seg.query_terms("森林草原防火").expansions


def test_a_one_character_left_side_matches_only_a_word_of_its_own():
    synonyms = Synonyms.parse("牛, 羊 => 畜禽\n马路 => 道路\n")
    assert synonyms.expand("养的牛得了病", ["养", "的", "牛", "得", "了", "病"]) == ["畜禽"]
    assert synonyms.expand("电线杆上贴满了牛皮癣", ["电线杆", "贴满", "牛皮癣"]) == []
    assert synonyms.expand("马路坏了", ["马路", "坏"]) == ["道路"]


def test_synonym_file_format():
    synonyms = Synonyms.parse("a, b\nc, d => e\n# comment\n")
    assert synonyms.expand("a", ["a"]) == ["b"]
    assert synonyms.expand("d", ["d"]) == ["e"]
    assert synonyms.expand("e", ["e"]) == []
    with pytest.raises(ValueError):
        Synonyms.parse("x =>\n")


def _expand_by_scan(synonyms: Synonyms, text: str, tokens) -> list[str]:
    """The rule as written: every rule, every left term, a token or (two characters or more) a
    substring of the text."""
    present, added = set(tokens), []
    for rule in synonyms.rules:
        if any(term in present or (len(term) > 1 and term in text) for term in rule.left):
            added += [t for t in rule.right if t not in present and t not in added]
    return added


def test_synonym_expansion_by_lookup_equals_the_scan_of_every_rule(seg):
    """expand() probes a table of left terms with every stretch of the text; the answer, in rule
    order, must be the plain scan's — over the curated file and random rules with overlaps."""
    rng = np.random.default_rng(11)
    alphabet = list("山火林草牧羊牛水河路房地")
    words = ["".join(rng.choice(alphabet, size=int(rng.integers(1, 5)))) for _ in range(300)]
    lines = [", ".join(rng.choice(words, size=int(rng.integers(1, 4)))) + " => " +
             ", ".join(rng.choice(words, size=int(rng.integers(1, 3)))) for _ in range(120)]
    random_rules = Synonyms.parse("\n".join(lines))
    for synonyms in (seg.synonyms, random_rules):
        for _ in range(300):
            text = "".join(rng.choice(alphabet + ["，", "了"], size=int(rng.integers(0, 25))))
            tokens = list(rng.choice(words, size=int(rng.integers(0, 4))))
            assert synonyms.expand(text, tokens) == _expand_by_scan(synonyms, text, tokens)
    for q in ("山林着火了谁负责", "养的牛得了病", "房子裂了", "放羊", ""):
        assert seg.synonyms.expand(q, [q]) == _expand_by_scan(seg.synonyms, q, [q])


def test_full_width_and_half_width_cut_alike(seg):
    assert seg.tokens("（县应急管理局）：ABC") == seg.tokens("(县应急管理局):abc")


def test_typo_repair_against_the_index_vocabulary():
    vocabulary = {"宅基地": 18, "人社局": 30, "建设局": 60, "卫健委": 16, "应急管理局": 44}
    seg = Segmenter.from_dir()
    seg.corrector = Corrector(vocabulary)
    assert "宅基地" in seg.query_terms("宅基低审批").expansions
    assert "人社局" in seg.query_terms("人设局 公益岗").expansions      # keeps the first character
    assert "应急管理局" in seg.query_terms("应急管理里局").expansions   # one character too many
    assert seg.corrector.corrections("村民盖房子批宅基地", seg) == []   # spelled right: nothing added
    assert edit_distance_one("卫建委", "卫健委") and not edit_distance_one("卫健委", "卫健委")


def test_keyword_weights_keep_typed_words_and_typo_repairs_whole(seg):
    """Synonym expansions carry the expansion weight; the words typed and their typo repairs (what
    the clerk meant) carry 1."""
    seg = Segmenter.from_dir()
    seg.corrector = Corrector({"低保": 40, "宅基地": 18})
    terms = seg.query_terms("低报怎么申请")
    weights = dict(zip(terms.keyword, terms.keyword_weights(0.5)))
    assert terms.corrections == ["低保"] and weights["低保"] == 1.0
    assert weights["申请"] == 1.0
    synonyms_only = [t for t in terms.expansions if t not in terms.corrections]
    assert synonyms_only and all(weights[t] == 0.5 for t in synonyms_only if t in weights)
    plain = seg.query_terms("山林着火了谁负责")
    assert plain.corrections == [] and plain.keyword_weights(1.0) == [1.0] * len(plain.keyword)


def test_short_typos_are_repaired_only_by_a_word_that_sounds_the_same():
    vocabulary = {"反诈": 12, "贷款": 9, "消防站": 7, "消防队": 40, "草畜平衡": 5, "草畜": 6, "水源地": 30,
                  "水管": 20, "地理": 3}
    seg = Segmenter.from_dir()
    seg.corrector = Corrector(vocabulary)
    assert "反诈" in seg.query_terms("反炸宣传").expansions                # zha = zha
    assert "贷款" in seg.query_terms("助学代款").expansions                # dai = dai
    assert "草畜平衡" in seg.query_terms("草蓄平衡责任书").expansions        # xu, one reading of 畜
    assert seg.corrector.corrections("微型消防战", seg)[:1] == ["消防站"]   # zhan: not the more frequent 消防队
    assert "水源地" not in seg.query_terms("生源地助学").expansions        # one letter off, but sheng ≠ shui
    assert seg.corrector.corrections("有人在地里烧秸秆", seg) == []          # 地里 is a word, not a typo of 地理
    assert seg.corrector.corrections("卖鞭炮的店谁管", seg) == []            # a stop word is not half a typo


def test_a_repair_that_sounds_the_same_tones_and_all_comes_first():
    """进毒 (jìn dú) is 禁毒, not the more frequent 进度 (jìn dù) that keeps its first character;
    without a repair that matches the tones, the toneless rule still repairs (宅基低 → 宅基地)."""
    seg = Segmenter.from_dir()
    seg.corrector = Corrector({"进度": 90, "禁毒": 4, "宅基地": 18})
    assert seg.corrector.corrections("进毒宣传", seg)[:1] == ["禁毒"]
    assert seg.corrector.corrections("宅基低审批", seg) == ["宅基地"]
    assert same_tones("进毒", "禁毒") and not same_tones("进毒", "进度") and not same_tones("宅基低", "宅基地")


def test_department_variants_drop_the_county():
    assert department_variants("伽师县住房和城乡建设局") == ["伽师县住房和城乡建设局", "住房和城乡建设局"]
    assert "住建局" in department_variants("县住建局")
    assert department_variants("县委组织部") == ["县委组织部"]


def test_derived_terms_from_records():
    from models.duty import Duty

    duty = Duty(id="x", province="p", prefecture="f", county="索县", township="t", list_type="cooperative",
                category="平安法治", seq=1, name="森林草原防火", lead_departments=["索县应急管理局"],
                township_duties=["落实“林长制”责任"])
    terms = derive_terms([duty])
    assert {"平安法治", "森林草原防火", "索县应急管理局", "应急管理局", "林长制"} <= set(terms)


# ----- highlighting, fusion, calibration


def test_highlight_escapes_first_then_marks():
    mark = ranking.Highlighter(["防火", "amp", "script"])
    out = mark('<script>alert("防火")</script> & 防火')
    assert "<script>" not in out
    assert out.count("<mark>防火</mark>") == 2
    assert "&amp;" in out and "<mark>amp</mark>" not in out   # never inside an entity
    assert "&lt;<mark>script</mark>&gt;" in out
    assert ranking.Highlighter([])("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"


def test_fusion_rrf_and_blend():
    keyword = [(1, 10.0), (2, 5.0), (3, 1.0)]
    semantic = [(3, 0.9), (1, 0.8), (4, 0.7)]
    rrf = ranking.fuse(keyword, semantic, method="rrf", k=60)
    assert rrf[0].pos == 1 and {f.pos for f in rrf} == {1, 2, 3, 4}
    assert rrf[0].keyword_rank == 1 and rrf[0].semantic_rank == 2
    blend = ranking.fuse(keyword, semantic, method="blend", weight_keyword=1.0, weight_semantic=1.0)
    assert blend[0].pos == 1
    only_semantic = ranking.fuse([], semantic, method="blend")
    assert [f.pos for f in only_semantic] == [3, 1, 4]
    with pytest.raises(ValueError):
        ranking.fuse(keyword, semantic, method="nope")


def reference_fuse(keyword, semantic, method, k, weight_keyword, weight_semantic):
    """Fusion item by item in plain Python, as it was first written: the oracle for ranking.fuse."""
    items = {}
    for rank, (pos, score) in enumerate(keyword, 1):
        items[pos] = ranking.Fused(pos, 0.0, keyword_rank=rank, keyword_score=score)
    for rank, (pos, score) in enumerate(semantic, 1):
        item = items.setdefault(pos, ranking.Fused(pos, 0.0))
        item.semantic_rank, item.semantic_score = rank, score
    top_kw = max((s for _, s in keyword), default=0.0) or 1.0
    cosines = [s for _, s in semantic]
    low, high = (min(cosines), max(cosines)) if cosines else (0.0, 1.0)
    for item in items.values():
        if method == "rrf":
            if item.keyword_rank is not None:
                item.score += weight_keyword / (k + item.keyword_rank)
            if item.semantic_rank is not None:
                item.score += weight_semantic / (k + item.semantic_rank)
        else:
            if item.keyword_score is not None:
                item.score += weight_keyword * max(item.keyword_score, 0.0) / top_kw
            if item.semantic_score is not None:
                item.score += weight_semantic * (item.semantic_score - low) / ((high - low) or 1.0)
    big = 1 << 30
    return sorted(items.values(), key=lambda f: (-f.score, f.semantic_rank or big, f.keyword_rank or big, f.pos))


@pytest.mark.parametrize("method", ["rrf", "blend"])
def test_fusion_equals_the_item_by_item_reference_to_the_last_bit(method):
    rng = np.random.default_rng(5)
    for _ in range(300):
        pool = rng.choice(60, size=int(rng.integers(0, 60)), replace=False)
        kw_pos = rng.permutation(pool)[:int(rng.integers(0, len(pool) + 1))]
        sem_pos = rng.permutation(pool)[:int(rng.integers(0, len(pool) + 1))]
        # few distinct scores, so ties (and the tie-break order) are common
        keyword = [(int(p), float(s)) for p, s in zip(kw_pos, -np.sort(-rng.integers(-1, 4, len(kw_pos)) * 1.5))]
        semantic = [(int(p), float(s)) for p, s in zip(sem_pos, -np.sort(-rng.integers(0, 3, len(sem_pos)) * 0.1))]
        weights = dict(k=float(rng.integers(1, 80)), weight_keyword=float(rng.random()),
                       weight_semantic=float(rng.random()))
        fused = ranking.fuse(keyword, semantic, method=method, **weights)
        want = reference_fuse(keyword, semantic, method, **weights)
        assert list(fused) == want
        assert fused.positions.tolist() == [f.pos for f in want]
        assert fused[2:5] == want[2:5] and (not want or fused[-1] == want[-1])


def test_authorities_parse_and_name_the_longest_term():
    from models.segment import Authorities
    a = Authorities.parse("# c\n公证机构: 公证, 公证处\n人民法院: 起诉，诉讼\n")
    assert a.terms == {"公证": "公证机构", "公证处": "公证机构", "起诉": "人民法院", "诉讼": "人民法院"}
    assert a.named_in("去公证处办遗嘱") == {"公证处": "公证机构"}
    assert a.named_in("想起诉邻居") == {"起诉": "人民法院"}
    assert a.named_in("低保申请") == {}
    for bad in ("人民法院\n", "人民法院:\n", ": 起诉\n"):
        with pytest.raises(ValueError, match="authorities line 1"):
            Authorities.parse(bad)


def test_the_curated_authorities_file_parses():
    from models.segment import AUTHORITIES, CURATED_DIR, Authorities
    a = Authorities.parse((CURATED_DIR / AUTHORITIES).read_text(encoding="utf-8"))
    assert len(a.terms) > 50 and len(set(a.terms.values())) > 20


def test_an_authority_term_is_not_read_out_of_the_middle_of_two_words():
    """A false 清单之外 tells a clerk a listed task may be refused: a term straddling two other
    words names nothing, while jieba's slip on one side of a term (我要 + 开发 + 票) keeps it."""
    s = Segmenter.from_dir()
    assert s.words_of("路边到处方便面袋子没人管")[1:3] == ["到处", "方便面"]
    assert "处方" in s.authorities.named_in("路边到处方便面袋子没人管")  # as a bare substring it is there
    assert s.named_authorities("路边到处方便面袋子没人管") == {}
    assert s.named_authorities("我要开发票") == {"开发票": "税务机关"}
    assert s.named_authorities("想起诉邻居") == {"起诉": "人民法院"}
    assert s.named_authorities("去公证处办遗嘱") == {"公证处": "公证机构"}
    assert s.named_authorities("小卖部卖过期货") == {}


def test_a_term_begun_inside_a_long_word_of_jiebas_is_named_where_a_dictionary_word_ends_there():
    """jieba joins 农作物 and 种子 into one piece and 许可 and 证 into another; the term 种子生产经营许可
    then has no piece edge at either end, but the dictionary words inside the pieces put one there."""
    s = Segmenter.from_dir()
    assert s.words_of("想申请农作物种子生产经营许可证")[2] == "农作物种子"
    assert "种子生产经营许可" in s.named_authorities("想申请农作物种子生产经营许可证")
    assert s.named_authorities("路边到处方便面袋子没人管") == {}


def test_a_term_township_work_holds_in_another_sense_is_written_longer():
    """卫星火点 (straw fires seen by satellite) is township work; launching satellites is not."""
    s = Segmenter.from_dir()
    assert s.named_authorities("秸秆焚烧卫星火点核查") == {}
    assert s.named_authorities("发射卫星") == {"发射卫星": "国家外交国防和航天核工业机关"}
    assert "商标" in s.named_authorities("合作社想给小米注册个商标")


def test_an_authority_named_beside_the_township_acting_is_not_the_work_asked():
    """A clause with none of the terms that has the township act (township_words.txt) — as the one
    acting, on a word the lists use — makes the other authority's work context. In the same clause,
    or with the township only asked (让乡里, 乡里该不该接, 乡里管不管), it is still the work asked for."""
    base = Segmenter.from_dir()
    s = Segmenter(base.words, base.stopwords, base.synonyms, {"调解": 35, "对接": 34, "宣传": 500}, base.authorities,
                  base.township_words)
    q = "邻居盖房把墙震裂了，请律师打官司太贵，乡里能先调解不"
    assert set(s.named_authorities(q)) == {"请律师", "打官司"}
    assert s.authorities_asked(q) == {}
    assert s.authorities_asked("刑满释放从监狱回来，安置帮教乡里咋对接") == {}
    for asked in ("在乡上能领结婚证不", "要出国打工，护照去哪办", "派出所让乡里帮着办身份证，乡里该不该接",
                  "法院的传票让村委会代签，乡里管不管", "要打官司，让乡里先去调解"):
        assert s.authorities_asked(asked) == s.named_authorities(asked) != {}, asked
    assert Segmenter(authorities=base.authorities).authorities_asked(q) == s.named_authorities(q)  # no word list


def test_a_question_that_names_a_body_only_in_what_it_tells_is_told_not_asked():
    """authority_bodies.txt: 法院 names the court, 起诉 an act of its work. A question that names
    only bodies, and none in its last clause, tells what a body did before it asks."""
    s = Segmenter.from_dir()
    told = "法院判了离婚，娃的低保还能接着领不"
    assert s.authorities_told(told, s.named_authorities(told))
    for asked in ("法院在哪", "想去法院起诉离婚，要带啥", "离婚的事，能去法院问问吗", "想起诉离婚，要带啥"):
        assert not s.authorities_told(asked, s.named_authorities(asked)), asked
    assert not s.authorities_told(told, {})
    assert not Segmenter(authorities=s.authorities).authorities_told(told, s.named_authorities(told))  # no list


def test_a_term_the_question_turns_away_from_is_not_the_work_asked():
    """不想打官司, 不用上法院, 还没去法院起诉: the question asks for another way than that work. A
    bare 不 before the term (不起诉决定) or a 不 that is not about it (不知道法院在哪) turns nothing away."""
    s = Segmenter.from_dir()
    for away in ("兄弟俩为分老屋闹翻了，不想打官司，有人能给说和一下吗", "两口子吵着要离婚，有没有不用上法院先给调解的地方",
                 "邻居为了一堵墙吵架，还没去法院起诉，能先调解吗"):
        assert s.named_authorities(away) and s.authorities_asked(away) == {}, away
        assert s.turned_away(away, s.named_authorities(away)) == set(s.named_authorities(away)), away
    for asked in ("检察机关拟作附条件不起诉决定", "不知道法院在哪", "想去法院起诉离婚，要带啥", "不想打官司，能先起诉吗"):
        assert s.authorities_asked(asked) != {}, asked
    assert s.turned_away("不想打官司，能先起诉吗", {"打官司": "", "起诉": ""}) == {"打官司"}


def test_a_term_that_starts_a_bodys_name_is_told_like_a_body():
    """婚姻登记 is an act of the registry's work, 婚姻登记处 the registry: named only before the
    question's last clause, it tells where something happened."""
    s = Segmenter.from_dir()
    told = "上门女婿，婚姻登记处领完证了，在女方村能分宅急地不"
    assert "婚姻登记" not in s.bodies and s.authorities_told(told, s.named_authorities(told))
    for asked in ("婚姻登记去哪办，要带啥", "婚姻登记处领完证了，宅基地能分不，婚姻登记处管不管"):
        assert not s.authorities_told(asked, s.named_authorities(asked)), asked
    typo = "户照丢了，娃的低保还能领不"  # 护照 named through its typo (the index's Corrector): not said, so no body's name
    assert not s.authorities_told(typo, {"护照": "公安机关出入境管理部门"})
    assert s.authorities_told("护照中心关门了，娃的低保还能领不", {"护照": ""})  # said, and a body's name


def test_every_body_is_a_term_of_the_authorities_file():
    from models.segment import BODIES, CURATED_DIR, read_word_list
    s = Segmenter.from_dir()
    bodies = read_word_list(CURATED_DIR / BODIES)
    assert len(bodies) > 30 and s.bodies == set(bodies)
    assert [b for b in bodies if b not in s.authorities.terms] == []


def test_no_township_word_names_another_authoritys_work():
    """The two word lists must not overlap: a township word inside an authority term (or the other
    way round) would make the rule both fire and yield on the same words."""
    from models.segment import AUTHORITIES, CURATED_DIR, TOWNSHIP_WORDS, Authorities, read_word_list
    words = read_word_list(CURATED_DIR / TOWNSHIP_WORDS)
    terms = Authorities.parse((CURATED_DIR / AUTHORITIES).read_text(encoding="utf-8")).terms
    assert len(words) > 10
    assert not [(w, t) for w in words for t in terms if w in t or t in w]


def test_an_authority_term_typed_with_a_sound_alike_character_is_named():
    """户照 is 护照 typed with a pinyin input method: named like the term, so a question about the
    police's work is not answered from a township's lists. Only a replaced character that sounds
    the same counts, never in place of a stop word standing alone, and never an added character."""
    base = Segmenter.from_dir()
    s = Segmenter(base.words, base.stopwords, base.synonyms, {"车站": 5, "银行": 9, "建筑物": 3}, base.authorities)
    assert s.named_authorities("孙子想办户照出国") == {"护照": "公安机关出入境管理部门"}
    assert "身份证丢失" in s.named_authorities("身分证丢失咋补")
    assert "身份证丢了" in s.named_authorities("身分证丢了去哪补办")  # 了 is a stop word, but not the typo
    assert s.named_authorities("修建临时建筑物和车站") == {}  # 和 reads huo too, but 火车站 is not meant
    assert s.named_authorities("老人没银行卡咋弄") == {}  # 办银行卡 is the act; 银行卡 alone is no typo of it
    assert base.named_authorities("孙子想办户照出国") == {}  # no index vocabulary: no repair to check against


def test_the_identity_card_is_named_as_the_polices_act_not_as_a_paper_to_bring():
    """身份证 is what township work asks people to bring; getting or replacing one is the police's."""
    s = Segmenter.from_dir()
    assert s.named_authorities("申请低保要带身份证和户口本吗") == {}
    assert s.named_authorities("家里有辆二手车，能吃低保不") == {}
    assert set(s.named_authorities("身份证丢了去哪补办")) == {"身份证丢了"}
    assert set(s.named_authorities("二手车过户要带啥")) == {"二手车过户"}


def test_a_question_reporting_a_wrong_is_told_from_one_asking_for_a_permit(seg):
    for text in ("林地被占了", "草场被人占了", "河边有人乱倒建筑垃圾", "有人私自在河道挖沙", "俺家的林地让人给占了"):
        assert seg.reports_wrong(text), text
    for text in ("想在林地上临时修条路要审批吗", "林木采伐许可证怎么办", "被子发霉了", "养的牛得了病"):
        assert not seg.reports_wrong(text), text


def test_an_item_that_only_grants_a_permission():
    from models.duty import grants_permission
    for name in ("辖区内林地草地临时用地审批", "林木采伐许可证核发", "乡村公共设施、公益事业使用集体建设用地的审核（不涉及农用地）",
                 "★生产经营单位生产安全事故应急预案备案"):
        assert grants_permission(name), name
    for name in ("对未经批准或者采取欺骗手段骗取批准，非法占用土地的处罚", "临时用地审批与监管工作",
                 "做好农村宅基地审批和建设管理工作", "落实耕地保护政策，做好农村宅基地审批及管理", "动物疫病防控"):
        assert not grants_permission(name), name


def test_a_question_about_animals_is_told_from_one_about_people(seg):
    for text in ("养的牛得了病", "羊查出口蹄疫了", "鸭子成片死", "牲口闹瘟了", "私宰的肉没有检疫章"):
        assert seg.names_animals(text), text
    for text in ("新冠疫苗", "娃娃打疫苗去哪", "麻疹疫情上报", "老人打流感疫苗要钱不"):
        assert not seg.names_animals(text), text


def test_an_item_about_animals_health():
    from models.duty import about_animal_health
    for name in ("动物疫病防控", "病死动物无害化处理的监管", "开展辖区内动物防疫和治疗工作，做好公共卫生措施落实等工作。",
                 "开展对死亡动物和病害动物产品的无害化处理工作", "动物及动物产品检疫", "重大动物疫情应急处置"):
        assert about_animal_health(name), name
    for name in ("传染病防控", "疫苗接种工作", "做好基本公共卫生服务，指导村建立公共卫生服务机制。", "辖区内野生动物保护",
                 "畜禽养殖污染防治", "犬只管理"):
        assert not about_animal_health(name), name


def test_a_word_staff_wrote_only_inside_a_longer_one_is_not_known():
    seg = Segmenter(vocabulary={"火星子": 1, "火星": 1, "移民": 1}, asked_parts={"火星"})
    assert seg.all_known(["火星子", "移民"]) and not seg.all_known(["火星", "移民"])
