"""Chinese segmentation shared by index and query time: jieba + domain dictionary + stop words + synonyms.

One `Segmenter` is built from a dictionary folder holding `userdict.txt`, `stopwords.txt` and
`synonyms.txt`. The curated folder is `data/dict/`; an index build writes the *effective* folder
(curated terms plus terms derived from the corpus, see `derive_terms`) into the index, and the
search engine segments queries with that copy — so queries are always cut exactly as the indexed
text was, even after `data/dict/` changes.

`tokens(text)` is the one cut used on both sides: jieba's precise mode (no HMM, so unseen words
never depend on their neighbours), stop words removed, and for every word longer than two
characters also each dictionary word inside it (like jieba's search mode, but every length), so
"索县应急管理局" also yields 应急管理局, 应急管理, 管理局, 应急, 管理 and a query for "应急管理局"
meets it. Synonyms are applied at query time only (`query_terms`).
"""
from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import jieba
from pypinyin import Style, pinyin

jieba.setLogLevel(logging.WARNING)

REPO = Path(__file__).resolve().parent.parent
CURATED_DIR = REPO / "data" / "dict"
USERDICT, STOPWORDS, SYNONYMS = "userdict.txt", "stopwords.txt", "synonyms.txt"
AUTHORITIES = "authorities.txt"  # other authorities' work; optional (builds before it lack it)
TOWNSHIP_WORDS = "township_words.txt"  # words naming the township as the one acting; optional too
WRONGDOING = "wrongdoing.txt"  # words by which a question reports a wrong done; optional too
ANIMAL_WORDS = "animal_words.txt"  # words by which a question is about animals; optional too
BODIES = "authority_bodies.txt"  # terms of authorities.txt that name a body, not its work; optional too
VOCABULARY = "vocabulary.tsv"  # written by the index build: every indexed token and its document count
ASKED_WORDS = "asked_words.txt"  # written by the index build: the words only staff wording (`asked`) holds
ASKED_PARTS = "asked_parts.txt"  # written by the index build: those it holds only inside a longer word

_WORDISH = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CLAUSE_EDGE = re.compile(r"[，,。；;？?！!：:\s]+")
# before a township word, these make the township what someone else asks or goes to, not the one
# acting: 让乡里, 叫镇上, 要求乡里, 找乡里, 请村委, 到乡里, 来镇上, 去乡政府, 在乡里, 给村里, 归乡里, 向镇政府
_ASKED_OF = frozenset("让叫求找请到来去在给归向替")
# before another authority's term, these turn the question away from that work (不想打官司, 不用上法院,
# 还没去法院起诉): it asks for another way, which is often the township's (mediation). A bare 不
# or 没 right before the term is not one of them: 不起诉决定 is the prosecutor's work, 没户口 asks for
# a household register.
_TURNED_AWAY = re.compile(r"(?:(?:不想|不用|不愿意?|不必|不要|还没|别)(?:再|先)?(?:去|上|到|找|请|走)?|[不没](?:去|找|请|走))$")
# after a term, these make it the name of a body (婚姻登记处, 税务所, 社保中心), not an act of its work
_BODY_SUFFIX = re.compile(r"(?:处|所|局|站|中心|窗口|大厅|机关|公司)")
_QUOTED = re.compile(r"[“\"「『]([^“”\"「」『』，,。；;：:、\s]{2,10})[”\"」』]")
# the agent of an adverse passive, left out before matching wrongdoing.txt: 被人占了 reads as 被占
_BY_SOMEONE = re.compile(r"被(?:别人|他人|外人|人家|人|谁)")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_MAX_SUBWORD_SOURCE = 24  # longer "words" (numbers, latin runs) are not searched for sub-words


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class SynonymRule:
    left: tuple[str, ...]
    right: tuple[str, ...]  # for an equivalence group, right == left


@dataclass
class Synonyms:
    rules: list[SynonymRule] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> "Synonyms":
        rules = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if "=>" in line:
                left, right = line.split("=>", 1)
                left_terms, right_terms = _terms(left), _terms(right)
            else:
                left_terms = right_terms = _terms(line)
            if not left_terms or not right_terms:
                raise ValueError(f"synonyms line {number}: {raw!r} needs terms on both sides")
            rules.append(SynonymRule(left_terms, right_terms))
        return cls(rules)

    def terms(self) -> set[str]:
        return {t for rule in self.rules for t in rule.left + rule.right}

    def equivalents(self, term: str) -> set[str]:
        """The terms of the two-way groups (`a, b, c`) holding `term`: other names of the same
        thing. One-way rules (`告状 => 信访`) point at related wording, not at the same thing."""
        return {t for rule in self.rules if rule.left == rule.right and term in rule.left for t in rule.left}

    def expand(self, text: str, tokens: Iterable[str]) -> list[str]:
        """Terms to add for a query: right sides of rules whose left side is a token or in the text
        (in rule order). A one-character left side must be a token: inside a word it is part of
        another word (牛 in 牛皮癣, 马 in 马路), not the thing it names."""
        present = set(tokens)
        by_left, lengths = self._by_left
        fired: set[int] = set()
        for term in present:
            fired.update(by_left.get(term, ()))
        # every stretch of the text as long as some left term: a dict probe each, instead of a
        # substring search per left term (a thousand rules hold about five thousand)
        for n in lengths:
            for i in range(len(text) - n + 1):
                fired.update(by_left.get(text[i:i + n], ()))
        added: list[str] = []
        for k in sorted(fired):
            added += [t for t in self.rules[k].right if t not in present and t not in added]
        return added

    @functools.cached_property
    def _by_left(self) -> tuple[dict[str, list[int]], list[int]]:
        """Each left term with the rules it fires, and the lengths of two characters or more that
        left terms have: the stretches of text worth probing (the rules are read once, by `parse`,
        and never change)."""
        by_left: dict[str, list[int]] = {}
        for k, rule in enumerate(self.rules):
            for term in dict.fromkeys(rule.left):
                by_left.setdefault(term, []).append(k)
        return by_left, sorted({len(t) for t in by_left if len(t) > 1})


@dataclass
class Authorities:
    """Work that belongs to authorities other than a township: each term (normalized) with the
    authority whose work it names (data/dict/authorities.txt)."""

    terms: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "Authorities":
        terms: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            authority, sep, listed = line.partition(":")
            found = _terms(listed)
            if not sep or not authority.strip() or not found:
                raise ValueError(f"authorities line {number}: {raw!r} needs 'authority: term, term'")
            terms.update(dict.fromkeys(found, authority.strip()))
        return cls(terms)

    def named_in(self, text: str, cuts: set[int] | None = None) -> dict[str, str]:
        """The terms a query names (as substrings of its normalized text), each with its
        authority; a term inside a longer one named too (公证 in 公证处) is left out. `cuts`: the
        offsets where the query's segmentation puts word edges; a term then counts only where it
        starts or ends on one (Segmenter.named_authorities: 处方 is not named in 到处方便面)."""
        text = normalize(text)
        found = [t for t in self.terms if t in text and (cuts is None or _on_edges(text, t, cuts))]
        return {t: self.terms[t] for t in found if not any(t != o and t in o for o in found)}


def _on_edges(text: str, term: str, cuts: set[int]) -> bool:
    start = text.find(term)
    while start >= 0:
        if start in cuts or start + len(term) in cuts:
            return True
        start = text.find(term, start + 1)
    return False


def _terms(part: str) -> tuple[str, ...]:
    return tuple(normalize(t) for t in re.split(r"[,，]", part) if t.strip())


def read_word_list(path: Path) -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line)
    return words


@dataclass
class QueryTerms:
    """A query as the keyword side sees it."""

    text: str                 # normalized query text
    tokens: list[str]         # the query's own tokens (deduplicated, order kept)
    expansions: list[str]     # synonym terms added (their jieba words), typo repairs first
    corrections: list[str] = field(default_factory=list)  # the typo repairs among the expansions

    @property
    def all(self) -> list[str]:
        return self.tokens + [t for t in self.expansions if t not in self.tokens]

    @property
    def keyword(self) -> list[str]:
        """The terms keyword search matches: `all`, without single characters when the query has
        words — one shared character (养 in 厚葬薄养) is no evidence once there are words to match."""
        terms = self.all
        if any(len(t) >= 2 for t in terms):
            return [t for t in terms if len(t) >= 2 or t.isascii()]
        return terms

    def keyword_weights(self, expansion_weight: float) -> list[float]:
        """A weight per `keyword` term: 1 for the words typed and their typo repairs (what the clerk
        meant), `expansion_weight` for synonym expansions — a word the clerk typed is better
        evidence than one the dictionary added."""
        meant = set(self.tokens) | set(self.corrections)
        return [1.0 if t in meant else expansion_weight for t in self.keyword]

    def highlight_terms(self) -> list[str]:
        """Terms to mark in original text: longest first so the regex prefers whole words."""
        terms = {t for t in self.all if len(t) >= 2 or not t.isascii()}
        return sorted(terms, key=lambda t: (-len(t), t))


class Segmenter:
    def __init__(self, words: Iterable[str] = (), stopwords: Iterable[str] = (),
                 synonyms: Synonyms | None = None, vocabulary: dict[str, int] | None = None,
                 authorities: Authorities | None = None, township_words: Iterable[str] = (),
                 asked_words: Iterable[str] = (), wrongdoing: Iterable[str] = (), asked_parts: Iterable[str] = (),
                 animal_words: Iterable[str] = (), bodies: Iterable[str] = ()):
        self.asked_parts = frozenset(asked_parts)
        self.bodies = frozenset(normalize(w) for w in bodies)
        self.animal_words = tuple(normalize(w) for w in animal_words)
        self.wrongdoing = tuple(normalize(w) for w in wrongdoing)
        self.stopwords = frozenset(normalize(w) for w in stopwords)
        self.township_words = tuple(normalize(w) for w in township_words)
        self.asked_words = frozenset(asked_words)
        self.synonyms = synonyms or Synonyms()
        self.authorities = authorities or Authorities()
        self.corrector = Corrector(vocabulary) if vocabulary else None
        # 户照 → 护照, 身分证 → 身份证; only replaced characters: 银行卡 is one character short of
        # the term 办银行卡 on purpose (authorities.txt names acts, not objects)
        self._authority_typos = (Corrector(dict.fromkeys(self.authorities.terms, 1), vocabulary, strict=True)
                                 if vocabulary and self.authorities.terms else None)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._lock = threading.Lock()
        self.words: list[str] = []
        for entry in words:
            self._add(entry)
        # Synonym terms must be single tokens on both sides, so an expansion is one exact token.
        for term in sorted(self.synonyms.terms()):
            self._add(term)
        self._subwords = functools.lru_cache(maxsize=200_000)(self._subwords_uncached)
        self._query_terms = functools.lru_cache(maxsize=4096)(self._query_terms_uncached)

    def _add(self, entry: str) -> None:
        parts = normalize(entry).split()
        if not parts:
            return
        word = parts[0]
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[2] if len(parts) > 2 else None
        if freq is None:
            # Force the whole word: suggest_freq(tune=True) raises its frequency until jieba keeps it.
            self._tokenizer.add_word(word, None, tag)
            self._tokenizer.suggest_freq(word, tune=True)
        else:
            self._tokenizer.add_word(word, freq, tag)
        self.words.append(word)

    @classmethod
    def from_dir(cls, folder: str | Path | None = None, extra_words: Iterable[str] = ()) -> "Segmenter":
        folder = Path(folder) if folder else CURATED_DIR
        words = read_word_list(folder / USERDICT) + list(extra_words)
        stopwords = read_word_list(folder / STOPWORDS)
        synonyms = Synonyms.parse((folder / SYNONYMS).read_text(encoding="utf-8"))
        vocabulary = read_vocabulary(folder / VOCABULARY) if (folder / VOCABULARY).exists() else None
        authorities = (Authorities.parse((folder / AUTHORITIES).read_text(encoding="utf-8"))
                       if (folder / AUTHORITIES).exists() else None)
        township_words = read_word_list(folder / TOWNSHIP_WORDS) if (folder / TOWNSHIP_WORDS).exists() else ()
        asked_words = read_word_list(folder / ASKED_WORDS) if (folder / ASKED_WORDS).exists() else ()
        wrongdoing = read_word_list(folder / WRONGDOING) if (folder / WRONGDOING).exists() else ()
        asked_parts = read_word_list(folder / ASKED_PARTS) if (folder / ASKED_PARTS).exists() else ()
        animal_words = read_word_list(folder / ANIMAL_WORDS) if (folder / ANIMAL_WORDS).exists() else ()
        bodies = read_word_list(folder / BODIES) if (folder / BODIES).exists() else ()
        return cls(words, stopwords, synonyms, vocabulary, authorities, township_words, asked_words, wrongdoing,
                   asked_parts, animal_words, bodies)

    # ----- cutting

    def _cut(self, text: str) -> tuple[str, list[str]]:
        """The normalized text and jieba's precise cut of it, every piece kept (they tile the text)."""
        text = _CJK_SPACE.sub("", normalize(text))
        with self._lock:  # jieba's Tokenizer is not documented as thread-safe
            return text, self._tokenizer.lcut(text, HMM=False)

    def words_of(self, text: str) -> list[str]:
        """jieba's precise cut of normalized text: wordish pieces only, stop words kept."""
        return [p.strip() for p in self._cut(text)[1] if p.strip() and _WORDISH.search(p)]

    def named_authorities(self, text: str) -> dict[str, str]:
        """Other authorities' work the text names (authorities.txt), each term with its authority,
        where the segmentation puts a word edge at one end of it at least: a term is never read
        out of the middle of two other words (到处 + 方便面 holds no 处方), while jieba's own slips
        on one side (我要 + 开发 + 票, 想开 + 诊所) still leave the term named. A term typed with a
        character that sounds the same (户照, 身分证, 助学代款) is named too, where the index
        vocabulary does not know the span as a word (the Corrector's rule)."""
        text, pieces = self._cut(text)
        named = self.authorities.named_in(text, self._word_edges(pieces))
        for term in self._authority_typos.corrections(text, self) if self._authority_typos else ():
            named.setdefault(term, self.authorities.terms[term])
        return named

    def _word_edges(self, pieces: list[str]) -> set[int]:
        """Offsets where a word starts or ends: between jieba's pieces, and inside a long piece
        where a dictionary word begins or ends it (农作物种子 is 农作物 + 种子, 许可证 is 许可 + 证), so
        a term is not lost because jieba joined its first word to the word before it
        (申请农作物种子生产经营许可证 names 种子生产经营许可)."""
        edges = set(itertools.accumulate(map(len, pieces), initial=0))
        for end, piece in zip(itertools.accumulate(map(len, pieces)), pieces):
            start = end - len(piece)
            for k in range(2, len(piece)):
                if self.is_word(piece[:k]):
                    edges.add(start + k)
                if self.is_word(piece[-k:]):
                    edges.add(end - k)
        return edges

    def authorities_asked(self, text: str, named: dict[str, str] | None = None) -> dict[str, str]:
        """The other authorities' work the question asks about (`named_authorities`), none when it
        asks what the township does about it: a clause holding none of the terms has the township
        act (`township_acts`). 不想请律师打官司，乡里能先调解不 asks for mediation; 在乡上能领结婚证不
        names both in one clause, and 派出所让乡里帮着收材料，乡里该不该接 asks whether the township
        may take on the police's work: both still ask for the other authority's work. A term the
        question turns away from (`turned_away`: 不想打官司) is not asked for."""
        named = self.named_authorities(text) if named is None else named
        if named and any(self.township_acts(clause) for clause in self.clauses_besides(text, named)):
            return {}
        away = self.turned_away(text, named)
        return {t: a for t, a in named.items() if t not in away}

    def turned_away(self, text: str, terms) -> set[str]:
        """The terms the question turns away from wherever it names them (_TURNED_AWAY: 不想打官司,
        不用上法院先给调解): the negation reaches a term right after another it turned away from (还没去
        法院起诉 turns away from both)."""
        text = normalize(text)
        seen, ends = {}, set()
        spans = sorted((m.start(), m.start() + len(t), t) for t in terms for m in re.finditer(re.escape(t), text))
        for start, end, term in spans:
            clause_start = max((m.end() for m in _CLAUSE_EDGE.finditer(text, 0, start)), default=0)
            turned = start in ends or bool(_TURNED_AWAY.search(text, clause_start, start))
            seen[term] = seen.get(term, True) and turned
            if turned:
                ends.add(end)
        return {t for t, turned in seen.items() if turned}

    def authorities_told(self, text: str, named: dict[str, str]) -> bool:
        """Whether the question names the other authorities only as bodies (authority_bodies.txt, or
        a term starting a body's name where it is said: `_names_body`) in clauses before its last:
        法院判了离婚，娃的低保还能接着领不 tells what the court did and asks about 低保; 法院在哪 and
        想找律师起诉 ask for the court's work."""
        text = normalize(text)
        clauses = [c for c in _CLAUSE_EDGE.split(text) if c]
        return (bool(named) and len(clauses) > 1 and all(self._names_body(text, t) for t in named)
                and not any(t in clauses[-1] for t in named))

    def _names_body(self, text: str, term: str) -> bool:
        """Whether the term names a body: one of authority_bodies.txt, or, said in the (normalized)
        text at least once and each time, the start of a body's name (婚姻登记处领完证了). A term
        named only through a typo (户照 for 护照) is not said, so it is no body's name."""
        if term in self.bodies:
            return True
        ends = [m.end() for m in re.finditer(re.escape(term), text)]
        return bool(ends) and all(_BODY_SUFFIX.match(text, end) for end in ends)

    def clauses_besides(self, text: str, terms) -> list[str]:
        """The question's clauses that hold none of `terms`, in order."""
        return [clause for clause in _CLAUSE_EDGE.split(normalize(text)) if clause and not any(t in clause for t in terms)]

    def township_acts(self, clause: str) -> bool:
        """Whether a clause has the township (township_words.txt) do work the lists name: the
        township is not what someone else asks or goes to (让乡里, 要求乡里, 跑到镇上, 在乡里), and
        a word of two characters or more besides it is a word of the index (乡里咋对接, 乡经管站要备案;
        not 乡里管不管, 乡里该不该接, whose only words are the asking)."""
        places = [m.start() for w in self.township_words for m in re.finditer(re.escape(w), clause)]
        if not places or any(at > 0 and clause[at - 1] in _ASKED_OF for at in places):
            return False
        known = self.corrector.vocabulary if self.corrector else {}
        return any(len(word) > 1 and known.get(word, 0) > 0 and not self._names_township(word)
                   for word, _ in self.query_groups(clause))

    def reports_wrong(self, text: str) -> bool:
        """Whether the question reports a wrong done (wrongdoing.txt: 林地被占了, 河边乱倒垃圾,
        有人私自挖沙) rather than asking for something to be granted."""
        text = _BY_SOMEONE.sub("被", normalize(text))
        return any(w in text for w in self.wrongdoing)

    def names_animals(self, text: str) -> bool:
        """Whether the question is about animals (animal_words.txt: 牛, 鸭子, 牲口, 口蹄疫, 检疫)."""
        text = normalize(text)
        return any(w in text for w in self.animal_words)

    def _names_township(self, word: str) -> bool:
        return any(word in w or w in word for w in self.township_words)

    def is_word(self, text: str) -> bool:
        """Whether jieba's dictionary (with this segmenter's words) holds `text` as a word."""
        return self._tokenizer.FREQ.get(text, 0) > 0

    def tokens(self, text: str) -> list[str]:
        """Index/query tokens: words minus stop words, plus dictionary words inside long words."""
        out: list[str] = []
        for word in self.words_of(text):
            if word in self.stopwords:
                continue
            out.append(word)
            if 2 < len(word) <= _MAX_SUBWORD_SOURCE:
                out.extend(self._subwords(word))
        return out

    def _subwords_uncached(self, word: str) -> tuple[str, ...]:
        """The dictionary words inside a longer word that begin and end where its most probable
        split into shorter words puts a boundary (split again inside each longer piece): 邻居家 →
        邻居 | 家 gives 邻居, not 居家; 森林草原防火 → 森林草原 | 防火, 森林 | 草原 gives 森林草原,
        草原防火, 森林, 草原, 防火, not 林草."""
        freq = self._tokenizer.FREQ
        cuts = self._boundaries(word, 0)
        found = []
        n = len(word)
        for length in range(n - 1, 1, -1):
            for start in range(0, n - length + 1):
                piece = word[start:start + length]
                if start in cuts and start + length in cuts and freq.get(piece) and piece not in self.stopwords:
                    found.append(piece)
        return tuple(found)

    def _boundaries(self, word: str, offset: int) -> set[int]:
        """Where jieba's most probable split of `word` into shorter pieces (its dictionary
        frequencies, as in jieba's own route; the whole word excluded) puts boundaries, and those
        of each piece's own split, as positions in the outer word."""
        n = len(word)
        if n < 3:
            return {offset, offset + n}
        freq, log_total = self._tokenizer.FREQ, math.log(self._tokenizer.total or 1)
        best, step = [0.0] * (n + 1), [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            best[i], step[i] = max((math.log(freq.get(word[i:j]) or 1) - log_total + best[j], j)
                                   for j in range(i + 1, n + 1)
                                   if not (i == 0 and j == n) and (j == i + 1 or freq.get(word[i:j])))
        cuts, i = {offset}, 0
        while i < n:
            j = step[i]
            cuts |= self._boundaries(word[i:j], offset + i)  # a piece is shorter than the word
            i = j
        return cuts

    def in_lists(self, terms: Iterable[str]) -> bool:
        """Whether any of the terms is a word of the lists' own text (the index vocabulary; staff
        wording, the `asked` field, is not). Without a vocabulary nobody can tell: True."""
        if self.corrector is None:
            return True
        return any(t in self.corrector.vocabulary and t not in self.asked_words for t in terms)

    def all_known(self, terms: Iterable[str]) -> bool:
        """Whether every term is a word of the index: of the lists' text or of staff wording, where
        staff wrote it as a word (火星 only inside 火星子 is not)."""
        if self.corrector is None:
            return True
        return all(t in self.corrector.vocabulary and t not in self.asked_parts for t in terms)

    def query_terms(self, query: str) -> QueryTerms:
        """Tokens and synonym expansions of a query (cached; treat the result as read-only)."""
        return self._query_terms(query)

    def _query_terms_uncached(self, query: str) -> QueryTerms:
        text = normalize(query)
        tokens = list(dict.fromkeys(self.tokens(text)))
        expansions: list[str] = []
        corrections = self.corrector.corrections(text, self) if self.corrector else []
        for term in self.synonyms.expand(text + " " + " ".join(corrections), tokens + self.words_of(text) + corrections):
            for word in self.words_of(term):
                if word not in self.stopwords and word not in tokens and word not in expansions:
                    expansions.append(word)
        for word in corrections:
            if word not in tokens and word not in expansions:
                expansions.insert(0, word)
        return QueryTerms(text, tokens, expansions, [w for w in corrections if w not in tokens])

    def query_groups(self, query: str) -> list[tuple[str, frozenset[str]]]:
        """The query's content words, each with every term that counts as finding it: the word,
        the dictionary words inside it, its synonym expansions, and typo repairs that cover it.
        Used to measure how much of a task an item's text covers (`Engine` owner score)."""
        text = normalize(query)
        terms = self.query_terms(query)
        corrections = self.corrector.corrections(text, self) if self.corrector else []
        groups = []
        for word in dict.fromkeys(self.words_of(text)):
            if word in self.stopwords:
                continue
            alternatives = {word, *(self._subwords(word) if 2 < len(word) <= _MAX_SUBWORD_SOURCE else ())}
            for term in self.synonyms.expand(word, [word]):
                alternatives.update(w for w in self.words_of(term) if w not in self.stopwords)
            alternatives.update(c for c in corrections if set(word) <= set(c))
            groups.append((word, frozenset(alternatives & (set(terms.all) | set(corrections) | {word}))))
        return groups

    def joined(self, text: str) -> str:
        """Tokens space-joined, as stored in the keyword index."""
        return " ".join(self.tokens(text))


def read_vocabulary(path: Path) -> dict[str, int]:
    vocabulary = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition("\t")
        if word and count.isdigit():
            vocabulary[word] = int(count)
    return vocabulary


def edit_distance_one(a: str, b: str) -> bool:
    """True when b is a with exactly one character replaced, inserted or deleted."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


class Corrector:
    """Typo repair against the index's own vocabulary ("宅基低" → 宅基地, "人设局" → 人社局,
    "卫建委" → 卫健委, "反炸" → 反诈, "应急管理里局" → 应急管理局).

    Only where jieba found no word: a stretch of the query containing a single-character piece
    or a piece the index never saw is compared with indexed words of 2–10 characters at edit
    distance one (symmetric-deletion lookup). Staff type with pinyin input methods, so a replaced
    character must share a reading with the one it replaces, tones aside (炸/诈, 代/贷, 版/斑); a
    character added or dropped is accepted in words of 3 characters or more. A two-character
    stretch that is a word of jieba's dictionary (地里, 放羊) or holds a stop word (谁管) is not
    taken for a typo. Of such words, one that sounds the same tones included comes first, then one
    keeping the first character, then the most frequent; it is added to the query as an extra
    term, never replacing what was typed.
    """

    MIN_LEN, MAX_LEN, MAX_PIECES = 2, 10, 4

    def __init__(self, vocabulary: dict[str, int], known: dict[str, int] | None = None, strict: bool = False):
        """`known`: the words that are no typo (default: the vocabulary itself). `strict`, where a
        wrong repair costs more than a missed one: a typo only replaces a character (never adds or
        drops one), and never a stop word standing alone (和车站 is not 火车站, though 和 reads huo)."""
        self.vocabulary = vocabulary
        self.known = vocabulary if known is None else known
        self.strict = strict
        self._by_deletion: dict[str, list[str]] = {}
        for word in vocabulary:
            if self.MIN_LEN <= len(word) <= self.MAX_LEN and _CJK_ONLY.match(word):
                for key in {word} | {word[:i] + word[i + 1:] for i in range(len(word))}:
                    self._by_deletion.setdefault(key, []).append(word)

    def candidates(self, span: str) -> list[str]:
        keys = {span} | {span[:i] + span[i + 1:] for i in range(len(span))}
        found = {w for k in keys for w in self._by_deletion.get(k, ())
                 if edit_distance_one(span, w) and typo_of(span, w) and (len(w) == len(span) or not self.strict)}
        # A word that sounds the same tones and all comes first (进毒 is 禁毒, jìn dú, before 进度,
        # jìn dù); typos rarely hit the first character: then words that keep it, then frequent words.
        return sorted(found, key=lambda w: (not same_tones(span, w), w[0] != span[0], -self.vocabulary[w], w))

    def corrections(self, text: str, segmenter: "Segmenter") -> list[str]:
        out: list[str] = []
        for chunk in _CHUNK.findall(text):
            pieces = segmenter.words_of(chunk)
            weak = [len(p) == 1 or p not in self.known for p in pieces]
            for i in range(len(pieces)):
                for j in range(i + 1, min(len(pieces), i + self.MAX_PIECES) + 1):
                    if not any(weak[i:j]):
                        continue
                    span = "".join(pieces[i:j])
                    if not (self.MIN_LEN <= len(span) <= self.MAX_LEN + 1) or span in self.vocabulary or span in self.known:
                        continue
                    if len(span) == 2 and any(p in segmenter.stopwords for p in pieces[i:j]):
                        continue
                    if len(span) == 2 and segmenter.is_word(span):
                        continue
                    found = self.candidates(span)
                    if self.strict:
                        found = [w for w in found if not _replaces_a_stop_word(span, w, pieces[i:j], segmenter.stopwords)]
                    if found and found[0] not in out and found[0] not in chunk:
                        out.append(found[0])
        return out


def _replaces_a_stop_word(span: str, word: str, pieces: list[str], stopwords) -> bool:
    """Whether the character `word` replaces in `span` (same length) is a stop word standing alone:
    和车站 is not 火车站, though 和 reads huo; 身分证丢了 is still 身份证丢了."""
    at = next(k for k, (a, b) in enumerate(zip(span, word)) if a != b)
    starts = list(itertools.accumulate(map(len, pieces), initial=0))
    piece = next(p for p, start in zip(pieces, starts) if start <= at < start + len(p))
    return piece in stopwords


def typo_of(typed: str, word: str) -> bool:
    """Whether `typed` (one edit from `word`) is a plausible typo of it: a replaced character that
    sounds the same, tones aside, or a character added or dropped in a word of 3 or more."""
    if len(typed) != len(word):
        return min(len(typed), len(word)) >= 3
    return any(a != b and sounds_of(a) & sounds_of(b) for a, b in zip(typed, word))


def same_tones(typed: str, word: str) -> bool:
    """Whether every character `typed` replaces in `word` (same length) shares a reading with it,
    tones included."""
    return len(typed) == len(word) and all(a == b or tones_of(a) & tones_of(b) for a, b in zip(typed, word))


@functools.lru_cache(maxsize=20_000)
def tones_of(char: str) -> frozenset[str]:
    """A character's readings in pinyin with tones ("禁" → {"jin4", "jin1"})."""
    return frozenset(pinyin(char, style=Style.TONE3, heteronym=True)[0])


@functools.lru_cache(maxsize=20_000)
def sounds_of(char: str) -> frozenset[str]:
    """A character's readings in pinyin without tones ("诈" → {"zha"}, "畜" → {"chu", "xu"})."""
    return frozenset(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


_CJK_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_CHUNK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


# ----- terms derived from the corpus

_COUNTY_PREFIX = re.compile(r"^(?:.{1,8}?(?:地区|市|州|盟))?.{1,6}?(?:县|旗|区)(?!委|政府|人民|级)")
_NAME_NOISE = re.compile(r"[★☆*\s]")


def department_variants(name: str) -> list[str]:
    """A department name as written, and without the county in front ("伽师县水利局" → "水利局")."""
    name = normalize(name)
    variants = [name]
    stripped = _COUNTY_PREFIX.sub("", name, count=1)
    if stripped != name and len(stripped) >= 2:
        variants.append(stripped)
    # "县水利局" → "水利局"; keep "县委组织部" (the 县 belongs to 县委)
    if name.startswith("县") and not name.startswith(("县委", "县政府", "县人民", "县级")) and len(name) > 3:
        variants.append(name[1:])
    base = re.sub(r"[（(][^）)]*[）)]", "", name)
    if base != name and len(base) >= 3:
        variants += department_variants(base)
    return list(dict.fromkeys(v for v in variants if 2 <= len(v) <= 24))


def derive_terms(duties: Iterable) -> list[str]:
    """Domain words the corpus itself defines: departments, categories, quoted terms, short item names."""
    terms: set[str] = set()
    for duty in duties:
        if duty.category:
            terms.add(normalize(duty.category))
        departments = list(duty.lead_departments) + list(duty.receiving_departments)
        departments += [dd.department for dd in duty.department_duties]
        for department in departments:
            if department and not re.search(r"[，,。；;：:]", department):
                terms.update(department_variants(department))
        for text in [duty.name, *duty.duty_texts()]:
            for quoted in _QUOTED.findall(text or ""):
                if _WORDISH.search(quoted) and not quoted.isdigit():
                    terms.add(normalize(quoted))
        name = _NAME_NOISE.sub("", normalize(duty.name)).rstrip("。.")
        if duty.list_type != "basic" and 4 <= len(name) <= 8 and not re.search(r"[，,。；;：:、()（）]", name):
            terms.add(name)
    return sorted(t for t in terms if 2 <= len(t) <= 24 and " " not in t)
