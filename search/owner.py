"""Who owns a task, per township: 有此事项 (which list, which items), 可能相关, or 清单之外.

Each township's own items are weighed one by one. Its candidates are its best items by cosine
(query ↔ item name) and by keyword score (BM25 with the synonym and typo expansions); for each,
`item_features` says how strongly it answers the task — its cosine and keyword score, how much of
the task's words its text covers, how each compares with the township's best and with the best
anywhere in the index, its list — and a logistic model fitted on judged items (the tune half of
the staff question set and the older set, tests/eval/calibrate_owner.py) turns them into the
probability that the item answers the task. The township's probability of listing the task
comes from its best item's, weighed against the leaders' — the best item's in the townships that
hold the best items anywhere (`_leaders`, the same whatever the page): a middling item means less
when another township has a clear answer (`listed_probability`). Three answers:

- 清单之外 — only when confident, for one of five reasons. The task names another authority's
  work (诉讼, 护照, 开发票: data/dict/authorities.txt), no item of the township names it as its
  own work (in an item name or the township's duties), the question does not ask what the
  township does about it (a clause without the term that has the township act on a word the
  lists use: data/dict/township_words.txt, `Segmenter.authorities_asked`) nor turn away from the
  term (不想打官司, 不用上法院: `Segmenter.turned_away`), and the township does not clearly
  hold the task with the term said in passing, nor what the clauses without the term ask
  (`_named_in_passing`, `_rest_held`) — the row then says whose work it is;
  the task names none of those terms but is asked the way another authority's work is asked
  (data/dict/other_work.tsv, `asked_elsewhere`), no item of the township names a term the task
  does name as its own work, and the township does not clearly hold the task — the row says
  whose work it is too;
  another township clearly holds the task (the leaders' P(listed) at least `owner_held_lead_p`)
  and this one is far from it (P(listed) below `owner_held_p`): the row names that township and
  its item (`held_by`);
  no item of the township shares a single word with the task (nor with its synonym or typo
  expansions) and either no item name comes semantically close
  (best cosine below `owner_no_match_cosine`) or the probability is below `owner_out_cut`. A false 清单之外
  tells a clerk a listed task may be refused, so the cuts are chosen for the precision of this
  answer on judged data;
- 有此事项 — the probability is at least `owner_listed_cut`, an item of the township shares a word
  with the task, and something is close somewhere (with nothing close anywhere no township is said
  to hold the task): the items that answer it, most
  probable first, with their lists, lead or receiving departments and what the township does (a
  task can have a basic part and a cooperative or recovered part: both are shown); below
  `owner_sure_cut` the answer says in words that it is unsure and asks for the items to be
  checked (`verdict_note`);
- 可能相关 — otherwise: the nearest candidates are shown and no verdict is given; none when nothing
  is close anywhere (no record shares a word with the task and no name comes close: what makes
  search answer 没有找到; the answer's `nothing_close` says so). Nothing in common is not proof of
  清单之外 — colloquial wording often shares no word with the item that owns the task — so that
  rule speaks only below `owner_no_match_cosine`, chosen for the precision of 清单之外.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.duty import about_animal_health, grants_permission
from models.segment import normalize
from search.errors import BackendUnavailable, BadRequest
from search.vocabulary import AREA_FIELDS, LIST_TYPES, STATUS_NOT_LISTED

LISTED, POSSIBLE, NOT_LISTED = "listed", "possible", STATUS_NOT_LISTED
VERDICT_LABELS = {LISTED: "有此事项", POSSIBLE: "可能相关", NOT_LISTED: "清单之外"}
NOTE_UNSURE = "把握不大，请核对下列事项是否就是所问的工作"
NOTE_CHECK = "请核对下列事项"
# What the model weighs, per candidate item: its own evidence, then its township's, then the best
# anywhere (config.owner_weights holds one weight each, in this order).
ITEM_FEATURES = ("cosine", "cosine_gap_township", "cosine_gap_best", "keyword", "keyword_share",
                 "coverage", "coverage_gap_best") + tuple(LIST_TYPES)
TOWNSHIP_FEATURES = ("query_words", "query_length", "township_cosine", "township_spread", "township_mean",
                     "township_keyword", "best_cosine", "best_coverage", "best_keyword")
FEATURES = ITEM_FEATURES + TOWNSHIP_FEATURES
PER_SIDE = 10        # a township's candidates: its best items by cosine and by keyword score, this many each
BEST_DEPTH = 30      # the best anywhere: this many items from each side are read for the best coverage
LEADER_DEPTH = 5     # the townships of this many best items a side are weighed as the leaders (_leaders)
MAX_ITEMS = 4        # items shown for 有此事项 by probability (the wordiest item may add one)
OWN_WORK_CHUNK = 256    # records read at a time to find an item naming another authority's work as its own
WORDIEST_COVERAGE = 0.5  # the share of the task's words an item must hold to show for that alone


@dataclass
class Candidate:
    pos: int
    features: dict[str, float]
    p: float


@dataclass
class Best:
    """The best evidence anywhere in the index, which each township's is measured against."""

    cosine: float
    keyword: float
    coverage: float


def owner(engine, q: str, townships: list[str] | None = None, region: dict | None = None,
          page: int = 1, size: int | None = None, explain: bool = False, place_from_query: bool = True) -> dict:
    """Per township (those named, else all, narrowed by `region`; one page of them): the verdict,
    its probability and the items. Places the question names choose the townships when the request
    names none (`places` in the answer), and are not matched as words. `explain` adds each
    township's candidates and their features."""
    q = engine.check_query(q)
    if not q:
        raise BadRequest("q is required", "q", "missing_parameter")
    text, taken, chosen = _chosen(engine, q, townships, region, place_from_query)
    page, size = engine.paging(page, size or engine.config.owner_page_size)
    total = len(chosen)
    shown = chosen[(page - 1) * size: page * size]
    w = _weigh(engine, text, shown, len(q))
    named = engine.segmenter.named_authorities(text)
    asked = engine.segmenter.authorities_asked(text, named)
    unmentioned = _unmentioned(engine, named, shown) if named and not w.degraded else {}
    besides = said_besides(w.groups, asked) if asked else 0
    rest_p, rest_lead = _rest_held(engine, text, asked, [t for t in shown if t.start in unmentioned]) if asked else ({}, 0.0)
    told = engine.segmenter.authorities_told(text, asked)
    elsewhere = asked_elsewhere(engine, w.vector, w.lists_cosine)
    held = held_by(engine, w)
    firsts = _agreeing(engine, shown, w.ranked[:len(shown)], w.answers)
    rows = []
    for town, c, cands, first in zip(shown, w.cosines, w.ranked, firsts):  # zip stops at the page
        shares_words = w.shares_words(town)
        # a township whose items name the other authority's work as their own keeps its answer
        own_work = bool(named) and town.start not in unmentioned
        outside = Outside(unmentioned.get(town.start), bool(asked), besides, rest_p.get(town.start, 0.0), rest_lead,
                          told, None if own_work else elsewhere, held)
        row = town.region() | _answer(engine, cands, c, shares_words, w.nothing_close, (w.leader_p, w.clear), first,
                                      outside)
        if explain:
            row["leader_p"] = round(w.leader_p, 6)
            row["leaders_clear"] = w.clear
            row["agrees_with"] = (next((t.township for i, t in w.answers if t.start != town.start), None)
                                  if first is not None and cands and first is not cands[0] else None)
            row["features"] = {k: round(v, 4) for k, v in cands[0].features.items()} if cands else {}
            row["shares_words"] = shares_words
            row["ruled_out"] = ruled_out(engine.config, cands, c, shares_words, row["authorities"])
            row["rest_p"] = round(rest_p[town.start], 4) if town.start in rest_p else None
            row["rest_lead"] = round(rest_lead, 4) if town.start in rest_p else None
            row["own_work"] = own_work
            row["told"] = told
            row["candidates"] = [{"pos": x.pos, "p": round(x.p, 4), "features": x.features} for x in cands]
        rows.append(row)
    out = {"query": q, "places": taken, "total": total, "page": page, "size": size, "nothing_close": w.nothing_close,
           "results": rows}
    if explain:
        out["leaders"] = [t.region() for t in w.leaders]
        out["elsewhere"] = elsewhere
    if w.degraded:
        out["degraded"] = True
    return out


@dataclass
class Outside:
    """What speaks for 清单之外 in one township beside its own evidence: other authorities' work the
    question names (`mentioned`: the terms none of the township's items names as its own, with
    their authorities; `asked`: whether the question asks for that work rather than what the
    township does about it, Segmenter.authorities_asked; `said_besides`, `rest_p`, `rest_lead`,
    `told`: what `_named_in_passing` weighs to let the township keep its answer), the authority
    whose work the question is asked like (`elsewhere`, `asked_elsewhere`; None for a township whose
    items name the work as their own), and the township that clearly holds the task (`held`,
    `held_by`)."""

    mentioned: dict[str, str] | None = None
    asked: bool = False
    said_besides: int = 0
    rest_p: float = 0.0
    rest_lead: float = 0.0
    told: bool = False
    elsewhere: dict | None = None
    held: dict | None = None

    def ruling(self, config, p: float) -> bool:
        """Whether the dictionary rule rules: the question asks for the work its terms name, and
        this township does not hold the task with the terms said in passing."""
        return bool(self.mentioned) and self.asked and not _named_in_passing(
            config, p, self.said_besides, self.rest_p, self.rest_lead, self.told)

    def authorities(self, config, p: float) -> list[str]:
        """Whose work the task is, where that rules the township out: the dictionary's authorities,
        else the authority the question is asked like where the township does not clearly hold it."""
        if self.ruling(config, p):
            return list(dict.fromkeys(self.mentioned.values()))
        if self.elsewhere and self.elsewhere["asked_elsewhere"] and p < config.owner_elsewhere_listed_p:
            return [self.elsewhere["authority"]]
        return []

    def held_elsewhere(self, config, p: float) -> dict | None:
        """The township and item holding the task, where that rules this township out."""
        return self.held if self.held is not None and p < config.owner_held_p else None


@dataclass
class Weighing:
    """One wording of a task weighed in the townships of a page, and in the leaders (`_leaders`)."""

    towns: list                  # the page's townships, then the leaders not on it
    cosines: list[np.ndarray]    # per township, the task's cosine to each of its items
    ranked: list[list[Candidate]]  # per township, its candidates, most probable first
    by_town: dict                # per township (first position), its keyword hits
    leaders: list
    answers: list                # the leaders' answer items with their townships (`_leading`)
    leader_p: float
    clear: int
    groups: list                 # the task's content words (Segmenter.query_groups)
    nothing_close: bool
    degraded: bool
    vector: np.ndarray | None = None  # the task's embedding
    lists_cosine: float = -1.0   # its best cosine to a staff question of the lists (or, without them, to a name)

    def shares_words(self, town) -> bool:
        """Whether an item of the township shares a word with the task; without the keyword side
        nobody knows, so it counts as shared (no "nothing in common")."""
        return self.degraded or bool(self.by_town.get(town.start))

    def listed(self, config, town) -> float:
        """P(the township lists the task), for a township of the page; 0 where it could not be
        answered 有此事项 (no word in common with the task, or nothing close anywhere: `_answer`)."""
        cands = self.ranked[self.towns.index(town)]
        if not cands or self.nothing_close or not self.shares_words(town):
            return 0.0
        return listed_probability(config, cands[0].p, self.leader_p, self.clear)


def _weigh(engine, text: str, shown: list, length: int) -> Weighing:
    """Each township's candidate items for the task and their probabilities, and the leaders'.
    `length`: the question's length as typed (a feature of the model)."""
    terms = engine.segmenter.query_terms(text)
    vector = engine.query_vector(text)
    groups = engine.segmenter.query_groups(text)
    degraded = False
    try:
        best_keyword = engine.keyword_search(terms, {}, BEST_DEPTH).hits
    except BackendUnavailable:  # answer from the embeddings alone
        best_keyword, degraded = [], True
    query_vectors = engine.query_vectors  # one for the call: it keeps the query's question scores
    best_semantic = query_vectors.search(vector, BEST_DEPTH, None)
    leaders = _leaders(engine, best_semantic, best_keyword)
    weighed = list({t.start: t for t in [*shown, *leaders]}.values())  # the page, then the leaders not on it
    try:
        keyword_hits = [] if degraded else engine.keyword_search(terms, _townships_filter(engine, weighed), None).hits
    except BackendUnavailable:
        keyword_hits, best_keyword, degraded = [], [], True
    by_town = _hits_by_township(engine, keyword_hits, PER_SIDE)
    cosines = query_vectors.range_cosines(vector, [(t.start, t.end) for t in weighed])
    picks = [_candidate_positions(town, c, by_town.get(town.start, [])) for town, c in zip(weighed, cosines)]
    read = list(dict.fromkeys([*(int(p) for p in best_semantic[0]), *(p for p, _ in best_keyword),
                               *(p for pick in picks for p in pick)]))
    # from a cluster, every candidate's record and tokens in one request, not one per candidate
    engine.records.prefetch(read)
    tokens_of = engine.indexed_token_sets(read)
    excluded = [rule for rule, applies in ((grants_permission, engine.segmenter.reports_wrong(text)),
                                           (about_animal_health, not engine.segmenter.names_animals(text))) if applies]
    if excluded:
        picks = _without(engine, picks, excluded)
    best = _best(best_semantic, best_keyword, groups, tokens_of)
    # what makes search answer 没有找到: no word in common with the lists anywhere and no name close
    nothing_close = not degraded and engine.nothing_close(best.cosine, len(best_keyword), terms)
    context = {"query_words": float(len(groups)), "query_length": float(length)}
    keyword_of = dict(keyword_hits)
    ranked = [_candidates(engine, town, pick, c, by_town.get(town.start, []), keyword_of, groups, tokens_of, best,
                          context)
              for town, pick, c in zip(weighed, picks, cosines)]
    answers, leader_p, clear = _leading(engine.config, weighed, ranked, leaders)
    best_question = getattr(query_vectors, "best_question", None)
    lists_cosine = best_question(vector) if best_question else float(best_semantic[1].max(initial=-1.0))
    return Weighing(weighed, cosines, ranked, by_town, leaders, answers, leader_p, clear, groups, nothing_close, degraded,
                    vector, lists_cosine)


def _rest_held(engine, text: str, asked: dict[str, str], towns: list) -> tuple[dict[int, float], float]:
    """Per township the other-authority rule would rule on (keyed by first position): P(listed) of
    the question's clauses that hold none of the authorities' terms, weighed as a task of their
    own: 邻居家装修把我家墙震裂了，打官司太麻烦，能找人调解不 asks for mediation, which most townships
    clearly hold, whatever the court would do (`_named_in_passing`). And the highest P(listed) of
    those clauses among these townships and the leaders (the townships with the best items
    anywhere): how clearly some township holds them."""
    rest = "，".join(engine.segmenter.clauses_besides(text, asked))
    if not towns or not rest or engine.config.owner_authority_rest_p > 1:  # above 1 the rule is off
        return {}, 0.0
    w = _weigh(engine, rest, towns, len(rest))
    return ({town.start: w.listed(engine.config, town) for town in towns},
            max(w.listed(engine.config, town) for town in w.towns))


def _chosen(engine, q: str, townships, region, place_from_query: bool) -> tuple[str, dict, list]:
    """The question without the places it names, those places, and the townships asked about (those
    named, else all, narrowed by `region` and by the places the question names)."""
    area = _region(region)
    engine.check_places({k: [v] for k, v in area.items()})
    scope = {k: [v] for k, v in area.items()} | ({"township": list(townships)} if townships else {})
    text, scope, taken = _scoped(engine, q, scope) if place_from_query else (q, scope, {})
    townships = scope.pop("township", None)
    chosen = engine.resolve_townships(townships) if townships else list(engine.ranges)
    return text, taken, [t for t in chosen if all(getattr(t, f) in values for f, values in scope.items())]


def _without(engine, picks: list[list[int]], excluded: list) -> list[list[int]]:
    """Each township's candidates without the items whose name one of `excluded` says cannot answer
    the question: the permits (models/duty.py grants_permission) for a question reporting a wrong
    (林地被占了 is answered by what prevents, reports or punishes it, not by the approval the
    wrongdoer skipped); the items about animals' health (about_animal_health) for a question that
    names no animal (新冠疫苗: the embedding model reads 疫苗 alike for people and for livestock)."""
    positions = list(dict.fromkeys(p for pick in picks for p in pick))
    dropped = {p for p, r in zip(positions, engine.records.many(positions))
               if any(rule(r["name"]) for rule in excluded)}
    return [[p for p in pick if p not in dropped] for pick in picks]


def _leading(config, weighed, ranked: list[list[Candidate]], leaders) -> tuple[list, float, int]:
    """The leaders' answer items with their townships, most probable first; the best one's
    probability; and how many answer clearly (owner_leader_floor)."""
    leading = {t.start for t in leaders}
    answers = sorted(((cands[0], town) for town, cands in zip(weighed, ranked) if town.start in leading and cands),
                     key=lambda x: (-x[0].p, x[0].pos))
    return (answers, answers[0][0].p if answers else 0.0,
            sum(item.p >= config.owner_leader_floor for item, _ in answers))


def _agreeing(engine, towns, ranked: list[list[Candidate]], answers: list[tuple[Candidate, object]]) -> list:
    """Per township, the item to answer with when another township answers clearly (its answer
    item's probability at least owner_leader_floor): the candidate whose logit(p) plus
    owner_leader_weight × its cosine to that answer item is highest — the same duty as the clear
    answer elsewhere, where the township's own evidence is close between two items. None: its most
    probable item."""
    config = engine.config
    clear = [(item, town) for item, town in answers if item.p >= config.owner_leader_floor][:2]
    if not clear or config.owner_leader_weight == 0:
        return [None] * len(towns)
    positions = list(dict.fromkeys([*(item.pos for item, _ in clear), *(c.pos for cands in ranked for c in cands)]))
    stored = dict(zip(positions, engine.vectors.vectors_at(np.array(positions, dtype=np.int64))))
    out = []
    for town, cands in zip(towns, ranked):
        lead = next((item for item, t in clear if t.start != town.start), None)  # a leader agrees with itself
        if not cands or lead is None:
            out.append(None)
            continue
        target = stored[lead.pos]
        out.append(max(cands, key=lambda c: (_logit(c.p) + config.owner_leader_weight * float(stored[c.pos] @ target),
                                             -c.pos)))
    return out


def _leaders(engine, semantic: tuple[np.ndarray, np.ndarray], keyword_hits: list[tuple[int, float]]) -> list:
    """The townships holding the best items anywhere (LEADER_DEPTH a side): the townships that list
    the task if any does. Their best item's probability tells each township how well the task can
    be answered at all (owner_township_scale), the same whatever the page asked for."""
    positions = [int(p) for p in semantic[0][:LEADER_DEPTH]] + [p for p, _ in keyword_hits[:LEADER_DEPTH]]
    starts = dict.fromkeys(engine.township_starts(np.array(positions, dtype=np.int64)).tolist()) if positions else {}
    by_start = {t.start: t for t in engine.ranges}
    return [by_start[s] for s in starts]


def _scoped(engine, q: str, scope: dict[str, list[str]]) -> tuple[str, dict[str, list[str]], dict[str, list[str]]]:
    """Engine.scoped, except that a question that is only a place name asks nothing: answered as typed."""
    text, narrowed, taken = engine.scoped(q, scope)
    return (text, narrowed, taken) if text else (q, scope, {})


def _townships_filter(engine, towns) -> dict:
    return {} if len(towns) == len(engine.ranges) else {"township": sorted({t.township for t in towns})}


def _best(semantic: tuple[np.ndarray, np.ndarray], keyword_hits: list[tuple[int, float]], groups,
          tokens_of: dict[int, frozenset[str]]) -> Best:
    """The best cosine, keyword score and coverage anywhere in the index: a township's evidence
    is weighed against them (a real match is close to the best there is; a vague one is not)."""
    positions, scores = semantic
    read = dict.fromkeys([int(p) for p in positions] + [p for p, _ in keyword_hits])
    return Best(cosine=float(scores[0]) if len(scores) else 0.0,
                keyword=keyword_hits[0][1] if keyword_hits else 0.0,
                coverage=max((coverage(tokens_of.get(p, frozenset()), groups) for p in read), default=0.0))


def _candidate_positions(town, cosines: np.ndarray, keyword: list[tuple[int, float]]) -> list[int]:
    """The township's best items by cosine and by keyword score, PER_SIDE each."""
    order = np.argsort(-cosines, kind="stable")[:PER_SIDE]
    return list(dict.fromkeys([town.start + int(i) for i in order] + [p for p, _ in keyword]))


def _candidates(engine, town, positions: list[int], cosines: np.ndarray, keyword: list[tuple[int, float]],
                keyword_of: dict[int, float], groups, tokens_of: dict[int, frozenset[str]], best: Best,
                context: dict[str, float]) -> list[Candidate]:
    """The township's candidate items, most probable first."""
    if not positions:
        return []
    top = float(cosines.max())
    township = context | {
        "township_cosine": top, "township_spread": float(cosines.std()), "township_mean": float(cosines.mean()),
        "township_keyword": math.log1p(keyword[0][1] if keyword else 0.0),
        "best_cosine": best.cosine, "best_coverage": best.coverage, "best_keyword": math.log1p(best.keyword)}
    out = []
    for pos in positions:
        features = item_features(engine, pos, float(cosines[pos - town.start]), keyword_of.get(pos, 0.0),
                                 coverage(tokens_of.get(pos, frozenset()), groups), top, best) | township
        out.append(Candidate(pos, features, answer_probability(engine.config, features)))
    out.sort(key=lambda c: (-c.p, c.pos))
    return out


def item_features(engine, pos: int, cosine: float, keyword: float, found: float, township_cosine: float,
                  best: Best) -> dict[str, float]:
    """How strongly one item answers the task, as numbers the calibrated model weighs: its cosine
    (query ↔ item name) and log(1 + BM25 score), the share of the task's words its text covers,
    each against the township's best cosine and the best anywhere, and its list."""
    list_type = engine.columns.value("list_type", pos)
    return {"cosine": cosine, "cosine_gap_township": cosine - township_cosine, "cosine_gap_best": cosine - best.cosine,
            "keyword": math.log1p(keyword), "keyword_share": keyword / best.keyword if best.keyword > 0 else 0.0,
            "coverage": found, "coverage_gap_best": found - best.coverage} | {
        t: float(list_type == t) for t in LIST_TYPES}


def answer_probability(config, features: dict[str, float]) -> float:
    """The calibrated logistic model: P(the item answers the task | features)."""
    return _sigmoid(config.owner_bias + sum(w * features[name] for name, w in zip(FEATURES, config.owner_weights)))


def listed_probability(config, item_probability: float, leader_probability: float, leaders_clear: int) -> float:
    """P(the township lists the task), from its best item's probability and the leaders' (the best
    item's probability in the townships holding the best items anywhere, `_leaders`) and how many
    leaders answer clearly: Platt scaling fitted on judged townships (items and townships have
    different base rates; a middling item means less when another township has a clear answer, and
    a task many townships answer clearly is more likely on this list too)."""
    a, b, c, d = config.owner_township_scale
    return _sigmoid(a * _logit(item_probability) + c * _logit(leader_probability) + d * leaders_clear + b)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def _unmentioned(engine, named: dict[str, str], towns) -> dict[int, dict[str, str]]:
    """For each township (keyed by its first position) none of whose items names a term of
    another authority's work that the task names as its own work (`_names_as_own_work`): those
    terms, each with its authority."""
    filters = _townships_filter(engine, towns)
    mentioned = {term: _mentioning(engine, term, filters) for term in named}
    return {town.start: dict(named) for town in towns if not any(town.start in mentioned[t] for t in named)}


def whose_work(engine, q: str, filters: dict) -> tuple[list[str], list[dict]]:
    """For search, when the query names other authorities' work that no record within `filters`
    names as the township's own: the authorities when it asks for that work (shown as
    这类事项通常由…办理), else — it asks what the township does about it — the terms with their
    authorities (`other_work`, as on an owner row). Both empty otherwise."""
    named = engine.segmenter.named_authorities(q)
    try:
        if not named or any(_mentioning(engine, term, filters, first_only=True) for term in named):
            return [], []
    except BackendUnavailable:
        return [], []
    if engine.segmenter.authorities_asked(q, named):
        return list(dict.fromkeys(named.values())), []
    return [], [{"term": t, "authority": a} for t, a in named.items()]


def _mentioning(engine, term: str, filters: dict, first_only: bool = False) -> set[int]:
    """The townships (first positions) with an item that names the term as its own work: its name
    or the township's duties hold every word of it, as the word or an expansion that names the same
    work: a two-way synonym group, or a term of the same authority (结婚证 → 婚姻登记 counts; 起诉 →
    信访 or 法律援助 is related work that every township lists, and does not). One match set per
    word from the keyword index, intersected (exact over every record, at a million records as
    quick as a keyword search), then the matching records read to see where the words stand."""
    authorities = engine.segmenter.authorities.terms
    same_authority = {t for t, a in authorities.items() if a == authorities.get(term)} if term in authorities else set()
    found, wholes = None, []
    for word, alternatives in engine.segmenter.query_groups(term):
        same = engine.segmenter.synonyms.equivalents(word) | same_authority
        whole = sorted({word} | {a for a in alternatives if a in same and a not in word})  # a part of the word is not it
        wholes.append(whole)
        hits = engine.keyword.search(whole, filters, None).hits
        here = np.unique(np.fromiter((p for p, _ in hits), dtype=np.int64, count=len(hits)))
        found = here if found is None else np.intersect1d(found, here, assume_unique=True)
        if not len(found):
            return set()
    if found is None:
        return set()
    own = []
    for chunk in range(0, len(found), OWN_WORK_CHUNK):  # records read a chunk at a time: `first_only` stops early
        positions = found[chunk:chunk + OWN_WORK_CHUNK].tolist()
        own += [p for p, record in zip(positions, engine.records.many(positions)) if _names_as_own_work(record, wholes)]
        if own and first_only:
            break
    return set(engine.township_starts(np.array(own, dtype=np.int64)).tolist()) if own else set()


def _names_as_own_work(record: dict, wholes: list[list[str]]) -> bool:
    """Whether the item holds the work as the township's own: every word of the term (or another
    name of the same work) in its name or the township's duties. A county department's duties that
    mention it (调处、仲裁农村土地承包经营纠纷; 申请法院强制执行) are that department's work, not the
    township's (tests/eval/HISTORY.md, session 15)."""
    text = normalize(" ".join([record.get("name", ""), *record.get("township_duties", [])]))
    return all(any(a in text for a in whole) for whole in wholes)


def _answer(engine, cands: list[Candidate], cosines: np.ndarray, shares_words: bool, nothing_close: bool,
            leading: tuple[float, int], first: Candidate | None, outside: Outside) -> dict:
    """One township's row: its verdict from its probability and the rules (`Outside`: what speaks for
    清单之外 beside its own evidence), and the items that answer, or the nearest."""
    config = engine.config
    p = listed_probability(config, cands[0].p, *leading) if cands else 0.0
    authorities = outside.authorities(config, p)
    held = None if authorities else outside.held_elsewhere(config, p)
    if ruled_out(config, cands, cosines, shares_words, authorities) or (not shares_words and p < config.owner_out_cut) \
            or held:
        verdict = NOT_LISTED
    elif p >= config.owner_listed_cut and shares_words and not nothing_close:
        # 有此事项 needs a word in common: where the township shares none with the task, the
        # scaling's probability does not tell listed from not (calibrate_owner.py, session 13)
        verdict = LISTED
    else:
        verdict = POSSIBLE
    # with nothing close anywhere, the nearest items are noise, not candidates to check
    picked = _items(engine, cands, leading, first) if verdict == LISTED else [] if verdict == POSSIBLE and nothing_close else cands[:3]
    records = engine.records.many(c.pos for c in picked)
    items = [{"duty": r, "relevance": round(min(1.0, c.p / picked[0].p), 2) if picked[0].p > 0 else 0.0,
              "role": _role(verdict, k)}
             for k, (c, r) in enumerate(zip(picked, records))]
    row = {"verdict": verdict, "verdict_label": VERDICT_LABELS[verdict], "verdict_note": _note(config, verdict, p, items),
           "confidence": round(p, 2)}
    if verdict == LISTED:
        row.update(status=items[0]["duty"]["list_type"], duty=items[0]["duty"], items=items,
                   lists=list(dict.fromkeys(i["duty"]["list_type"] for i in items)))
    elif verdict == POSSIBLE:
        row.update(status=POSSIBLE, duty=None, items=items, lists=[])
    else:
        row.update(status=NOT_LISTED, duty=None, items=[], lists=[], nearest=items[0]["duty"] if items else None)
    row["authorities"] = authorities
    # the township that holds the task, for a clerk to compare with: 清单之外 here, not everywhere
    row["held_by"] = held
    # another authority's work the question names beside the township's part, which was answered:
    # 打官司 in 不想请律师打官司，乡里能先调解不 is still the court's, and the clerk is told so
    row["other_work"] = [] if outside.ruling(config, p) else \
        [{"term": t, "authority": a} for t, a in (outside.mentioned or {}).items()]
    return row


def held_by(engine, w: Weighing) -> dict | None:
    """The township and item that clearly hold the task, when the leaders (the townships with the
    best items anywhere, the same whatever the page) hold it at P(listed) ≥ owner_held_lead_p: a
    township far below it (owner_held_p) does not list the task: a pastoral county's grassland
    work, say, which a farming county's lists touch only through a shared word. None without the
    keyword side (a low probability may then be only a word missed)."""
    config = engine.config
    if w.degraded or not w.answers or listed_probability(config, w.leader_p, w.leader_p, w.clear) < config.owner_held_lead_p:
        return None
    item, town = w.answers[0]
    record = engine.records.many([item.pos])[0]
    return {"township": town.township, "duty": {"id": record["id"], "name": record["name"],
                                               "list_type": record["list_type"]}}


def asked_elsewhere(engine, vector, lists: float) -> dict | None:
    """Which authority's work the question is asked most like (data/dict/other_work.tsv, search/ann/
    examples.py), the cosine, `lists` — the best cosine of a staff question of the lists
    (data/dict/asked.tsv) or, without them, of an item — and whether the first is close
    (owner_elsewhere_cosine) and ahead of the second by owner_elsewhere_margin: 网购的东西一直不发货
    is the platform's work, although it names none of authorities.txt's terms. None without the examples."""
    if engine.work_examples is None or vector is None:
        return None
    authority, cosine = engine.work_examples.nearest(vector)
    config = engine.config
    return {"authority": authority, "cosine": round(cosine, 4), "lists_cosine": round(lists, 4),
            "asked_elsewhere": cosine >= config.owner_elsewhere_cosine and cosine - lists >= config.owner_elsewhere_margin}


def said_besides(groups, named: dict[str, str]) -> int:
    """How many of the question's content words (Segmenter.query_groups) are not part of the
    other authorities' terms it names (Segmenter.named_authorities)."""
    return sum(not any(word in term for term in named) for word, _ in groups)


def _named_in_passing(config, p: float, said_besides: int, rest_p: float = 0.0, rest_lead: float = 0.0,
                      told: bool = False) -> bool:
    """Whether another authority's work the task names is only its context here: the township
    clearly holds the task (P(listed) at least owner_authority_yield_p) and the question says much
    besides the authority's terms (owner_authority_yield_words content words) — 临时身份证 in
    退役军人信息采集要带临时身份证、户口本 is what to bring, not the police's work to do — or it clearly
    holds what the clauses without the terms ask (`rest_p`, P(listed) of those clauses alone, at
    least owner_authority_rest_p: 打官司太麻烦，能找人调解不), or some township holds those clauses that
    clearly (`rest_lead`) and this one plausibly (owner_authority_rest_held_p: 住院押金交不上，能先找
    乡里申请急难救助吗, where a county lists 临时救助 inside a longer item), or the question names the
    authorities only as bodies in what it tells before it asks (`told`, Segmenter.authorities_told:
    法院判了离婚，娃的低保还能接着领不) and this township holds the rest at least at
    owner_authority_told_p."""
    return ((p >= config.owner_authority_yield_p and said_besides >= config.owner_authority_yield_words)
            or rest_p >= config.owner_authority_rest_p
            or (rest_lead >= config.owner_authority_rest_p and rest_p >= config.owner_authority_rest_held_p)
            or (told and rest_p >= config.owner_authority_told_p))


def _note(config, verdict: str, p: float, items: list) -> str:
    """What the clerk should do with the answer, in words: a 有此事项 below owner_sure_cut names an
    item on the right list less often than not (calibrate_owner.py fits the cut where that
    chance is one half), so it asks for the items to be checked, as 可能相关 always does."""
    if verdict == LISTED and p < config.owner_sure_cut:
        return NOTE_UNSURE
    return NOTE_CHECK if verdict == POSSIBLE and items else ""


def _role(verdict: str, rank: int) -> str:
    """What an item shown is: the answer (有此事项's first item), related to it (its later items:
    a task's other part, or an item close behind, judged right far less often — staff_eval.py
    prints both rates), or a candidate to check (可能相关)."""
    if verdict != LISTED:
        return "candidate"
    return "answer" if rank == 0 else "related"


def ruled_out(config, cands: list[Candidate], cosines: np.ndarray, shares_words: bool,
              authorities: list[str] | None) -> bool:
    """清单之外 whatever the model says: another authority's work that no item mentions, or no item
    shares a word with the task and none is named closely."""
    nothing_in_common = not shares_words and (not len(cosines) or float(cosines.max()) < config.owner_no_match_cosine)
    return bool(authorities or not cands or nothing_in_common)


def _items(engine, cands: list[Candidate], leading: tuple[float, int], first: Candidate | None) -> list[Candidate]:
    """The most probable item and those close behind it. The most probable item of each other list
    needs less: the basic part of a task (巡查、发现、报告) and its cooperative or recovered part
    (查处) are worded differently, so the second part scores lower; a task has one part a list, so
    further items of that list need what items of the first one need. `first`: the item to answer
    with when it is not the most probable one (`_agreeing`); the most probable then follows it."""
    config = engine.config
    best = cands[0]
    answer = first or best
    out, lists = [answer], {engine.columns.value("list_type", answer.pos)}
    for c in cands:
        if c is answer:
            continue
        if len(out) == MAX_ITEMS or c.p < max(config.owner_part_share * best.p, config.owner_part_floor):
            break
        list_type = engine.columns.value("list_type", c.pos)
        if list_type not in lists or (c.p >= config.owner_item_share * best.p
                                      and listed_probability(config, c.p, *leading) >= config.owner_listed_cut):
            out.append(c)
            lists.add(list_type)
    # the item holding most of the task's words shows too: the model leans on names' cosines, and a
    # long name that spells the task out (…矛盾纠纷…调解…) can sit far from a short question
    wordiest = max(cands, key=lambda c: (c.features["coverage"], c.p))
    if wordiest not in out and wordiest.features["coverage"] >= max(WORDIEST_COVERAGE, answer.features["coverage"] + 1e-9):
        out.append(wordiest)
    return out


def coverage(tokens: frozenset[str], groups) -> float:
    """The share of the query's content words (weighted by length, single characters half) that the
    item's own text contains — as the word, a synonym or a typo repair; found only as a part of
    the word (人民 for 人民币) it counts for the part's share of the word's length. `tokens`: the
    item's indexed tokens (Engine.indexed_token_sets)."""
    if not groups:
        return 0.0
    total = found = 0.0
    for word, alternatives in groups:
        weight = 0.5 if len(word) == 1 else min(len(word), 3)
        total += weight
        matched = alternatives & tokens
        if word in matched or any(a not in word for a in matched):
            found += weight
        elif matched:
            found += weight * max(len(a) for a in matched) / len(word)
    return found / total if total else 0.0


def _region(region) -> dict[str, str]:
    out = {}
    for key, value in (region or {}).items():
        if key not in AREA_FIELDS:
            raise BadRequest(f"unknown region field {key!r}; one of {', '.join(AREA_FIELDS)}", key,
                             "unknown_parameter")
        if not isinstance(value, str):
            raise BadRequest(f"{key} must be text", key)
        if value.strip():
            out[key] = value.strip()
    return out


def _hits_by_township(engine, hits: list[tuple[int, float]], depth: int) -> dict[int, list[tuple[int, float]]]:
    """Ranked hits split by township (keyed by its first position), the best `depth` of each."""
    out: dict[int, list[tuple[int, float]]] = {}
    if not hits:
        return out
    starts = engine.township_starts([p for p, _ in hits])
    for start, hit in zip(starts.tolist(), hits):
        bucket = out.setdefault(start, [])
        if len(bucket) < depth:
            bucket.append(hit)
    return out
