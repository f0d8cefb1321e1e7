"""The generated multi-aspect review benchmark: ratlib's offline default data.

BeerAdvocate (Lei et al. 2016) cannot be redistributed, so ratlib generates
beer reviews of the same shape, with exact ground-truth rationales, and
writes them in Lei et al.'s file format. :mod:`ratlib.data.beer` then reads
them, so the generated and the real data share one code path.

Reviews
-------
A review judges five aspects - appearance (0), aroma (1), palate (2),
taste (3), overall (4) - in lower-cased, space-separated tokens, with
punctuation as separate tokens, like Lei et al.'s files. It is built from
sentences:

* **aspect sections**: for each aspect, an optional *descriptive* sentence
  ("pours a hazy amber color with a two finger white head ."), then one to
  three *graded* sentences: judgements ("the aroma is a bit weak ."),
  continuations that refer back with a pronoun and no aspect noun ("it fades
  quickly and leaves no lacing ."), and *mixed* sentences that contrast two
  judgements of the aspect ("the color is nice but the head is thin .");
* **two-aspect sentences** (about 30% of reviews without section markers):
  one judgement for two aspects judged alike ("the aroma and taste are both
  great .", "it smells and tastes great .") or two contrasting clauses ("the
  aroma is nice but the taste is weak .");
* **section markers** in about 30% of reviews ("a :", "smell :", "m :");
* **note form** in 25% of reviews: written one topic per line, whose line
  breaks tokenisation loses, so there is no full stop where the topic
  changes ("... a thin white head s : citrus , pine ...") and some full stops
  inside a topic are commas;
* **neutral filler**: serving context, where the beer came from, the label,
  the food; some of it uses aspect words ("poured from a bottle into a tulip
  glass .", "i let it warm up a bit to let the aroma open up .", "the head
  brewer there recommended it .", "my friend says it tastes better on tap .")
  or sentiment words ("the price was great .") without saying anything about
  this beer's aspects.

Aspect words are not a reliable cue, as in real reviews: many aspect
sentences name no aspect ("it leaves a few rings on the glass .", "citrus ,
pine and some caramel ."), and aspect words also turn up elsewhere ("taste
follows the nose", "some carbonation visible in the glass" (appearance),
"i had to force myself to finish it" (overall)).

Sections follow BeerAdvocate's usual order (look, smell, taste, feel,
overall) in about three reviews of four (always with markers) and a
shuffled order otherwise (overall mostly last); each aspect is
left out of a review with probability ``missing_aspect_rate``. Colours,
notes and style names come from one of four beer families (pale, dark,
Belgian, amber) per review, and a review's colour, clarity, head colour,
body and carbonation are drawn once, so its sentences agree. Articles are
fixed ("a amber" -> "an amber").

Vocabulary: aspect nouns and aspect-specific descriptors (hazy, lacing,
citrus, creamy, bitter, ...) and one *shared* sentiment vocabulary (great,
nice, decent, weak, not bad, ...), so sentiment words alone do not tell the
aspect; negation ("not bad", "not great"), intensifiers ("really", "a bit"),
and notes (citrus, caramel) that aroma and taste share, as real reviews do.
Every word is in the GloVe 6B vocabulary and, but for a listed set of beer
words (:data:`~ratlib.data.synth_lexicon.WORDPIECE_WORDS`), a whole word of
BERT's uncased vocabulary.

Rationales
----------
The rationale of aspect k is exactly the tokens of the clauses that describe
or judge this beer's aspect k:

* descriptive sentences are in it (they speak about the aspect) even though
  they carry no judgement, and so are pronoun continuations;
* a section marker ("a :") is in the rationale of its aspect;
* a sentence's closing punctuation belongs to the clause it closes;
* a joint two-aspect sentence is in both rationales; in a contrast sentence
  each clause is in its own aspect's rationale, the connective ("but",
  "while") with the clause it introduces;
* filler is in no rationale, even when it uses aspect words (serving glass,
  label text, "the head brewer"); "taste follows the nose" is taste only.

Scores and labels
-----------------
Scores lie on Beer's grid {0.0, 0.1, ..., 1.0} with a positively skewed
marginal (:data:`~ratlib.data.synth_lexicon.SCORE_PROBS`: 14% <= 0.4,
9% = 0.5, 77% >= 0.6). The loader labels them (>= 0.6 positive, <= 0.4
negative, 0.5 dropped). Each aspect score is a Gaussian copula draw: a latent
z_k = sqrt(r) q + sqrt(1 - r) e_k with a review's shared quality q, mapped to
the grid through the marginal's quantiles. r is solved exactly (Hermite
expansion of the quantile step function) so that the Pearson correlation of
any two *scores* equals the ``correlation`` knob (default 0.7; real
BeerAdvocate aspect ratings correlate about 0.6-0.8).

* **correlated set** (``reviews.260k.*``): all five aspects share q, so a
  generator may predict aspect k from another aspect's sentences - the
  spurious correlation rationalization papers study;
* **decorrelated set of aspect k** (``reviews.aspect{k}.*``): z_k is drawn
  independently of q, so score k is independent of the other four (which
  still correlate with each other);
* **annotated set** (``annotations.json``): drawn like the correlated set
  (real Beer's annotated reviews are ordinary reviews too), with spans for
  all five aspects.

The text of aspect k reflects its score: each graded clause gets a value
v = score + N(0, ``sentiment_noise``) that picks one of seven sentiment
levels (edges :data:`~ratlib.data.synth_lexicon.LEVEL_EDGES`); a mixed
clause pair gets score +- d (d in [0.1, 0.25]) plus noise. So 0.9 reads
"excellent", 0.6 mostly "decent", "not bad", sometimes "okay" or "good",
and reviews near the label thresholds are ambiguous, as real ones are.

Sizes and determinism
---------------------
Defaults: 30,000 training and 3,000 dev (heldout) reviews per set, 1,000
annotated reviews (about 900 per aspect after the loader drops the 0.5
band and reviews silent on the aspect; about 140 of them negative). The
loader balances training classes, leaving about 8,400 training reviews per
aspect; raise ``n_train`` for more (generation takes about 4 s per 30,000
reviews on 2 cores). Every file is a pure function of the generator config:
each (set, split) has its own random streams seeded from ``seed``. Files
are generated lazily, only those a run needs, into
``cache_dir("synth", <hash of config and generator version>)`` or
``DataConfig.data_dir``; each file is written atomically, so a file that
exists is complete, and a folder's ``synth_config.json`` records what made
it (a folder made by another config or generator version is refused).

Differences from real Beer worth stating on a data card: the text is
template-generated (a closed vocabulary of a few hundred words); the
annotated set has more negatives (about 14% against 1-3%) so its accuracy
means something; the decorrelated sets are decorrelated by construction
(correlation 0 in expectation) rather than by selecting reviews.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from statistics import NormalDist
from typing import Iterable, Sequence

import numpy as np

from ..paths import cache_dir
from . import synth_lexicon as lex
from .beer import ANNOTATIONS, N_SCORES, label_of, read_lei_splits, review_files, write_annotations, write_reviews
from .record import Span, Splits, mask_to_spans
from .registry import DataConfig, register_dataset

# Bump when the generator's output changes (tests/test_synth.py pins a hash of the output
# and fails until it is bumped); it keys the cache folders and every stored result.
GENERATOR_VERSION = 1
MANIFEST = "synth_config.json"
SYNTH_HINT = "The generated benchmark writes these files itself; delete the folder to regenerate it."

# Subsets: the correlated set, a decorrelated set per aspect, the annotated set.
CORRELATED = "260k"
ANNOTATED = "annotations"


# ============================================================ configuration

@dataclass(frozen=True)
class SynthConfig:
    """The knobs of the generator (JSON-serialisable; the cache key).

    ``correlation`` is the Pearson correlation between any two aspect scores
    in the correlated and annotated sets (0 <= c <= 0.95);
    ``sentiment_noise`` the standard deviation of a clause's expressed value
    around its aspect score; ``missing_aspect_rate`` the chance that a review
    says nothing about an aspect.
    """

    seed: int = 2016
    n_train: int = 30000
    n_dev: int = 3000
    n_test: int = 1000
    correlation: float = 0.7
    sentiment_noise: float = 0.08
    missing_aspect_rate: float = 0.03

    def __post_init__(self):
        for name in ("correlation", "sentiment_noise", "missing_aspect_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"SynthConfig.{name} must be a number, got {value!r}")
            object.__setattr__(self, name, float(value))  # 0 and 0.0 give one cache key
        for name in ("n_train", "n_dev", "n_test"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SynthConfig.{name} must be a positive integer, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"SynthConfig.seed must be an integer, got {self.seed!r}")
        if not 0.0 <= self.correlation <= 0.95:
            raise ValueError(f"SynthConfig.correlation must be in [0, 0.95], got {self.correlation!r}")
        if not 0.0 <= self.sentiment_noise <= 0.5:
            raise ValueError(f"SynthConfig.sentiment_noise must be in [0, 0.5], got {self.sentiment_noise!r}")
        if not 0.0 <= self.missing_aspect_rate <= 0.5:
            raise ValueError(
                f"SynthConfig.missing_aspect_rate must be in [0, 0.5], got {self.missing_aspect_rate!r}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_options(cls, options: dict | None) -> "SynthConfig":
        """The config from ``DataConfig.options``; unknown keys are an error."""
        options = dict(options or {})
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise ValueError(f"synth: unknown option(s) {', '.join(map(repr, unknown))}; "
                             f"valid options: {', '.join(valid)}")
        return cls(**options)

    def key(self) -> str:
        """A short hash of the config and the generator's version (cache folder name)."""
        text = json.dumps({"version": GENERATOR_VERSION, **self.to_json()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def generator_version() -> str:
    """What stored results of the generated benchmark are keyed by (the registry's data version).

    An explicit version, not a hash of the source, so an edit that leaves the
    output as it was (a comment, a refactor) keeps every stored result. The
    guard is ``tests/test_synth.py``, which pins :func:`output_fingerprint`
    of every subset: an edit that changes the output fails there until
    :data:`GENERATOR_VERSION` is bumped with the golden hash.
    """
    return f"synth-{GENERATOR_VERSION}"


def output_fingerprint(config: SynthConfig, subsets: Sequence[str] = (CORRELATED, "aspect0", "aspect1", "aspect2",
                                                                      ANNOTATED)) -> str:
    """A hash of every generated review (tokens, scores, spans) of ``subsets``, both splits."""
    digest = hashlib.sha256()
    for subset in subsets:
        for split in ("train",) if subset == ANNOTATED else ("train", "heldout"):
            for review in generate_reviews(config, subset, split):
                digest.update(json.dumps([review.tokens, review.scores, review.spans]).encode())
    return digest.hexdigest()[:16]


def subset_size(config: SynthConfig, subset: str, split: str) -> int:
    if subset == ANNOTATED:
        return config.n_test
    return config.n_train if split == "train" else config.n_dev


def _seed_for(config: SynthConfig, subset: str, split: str, stream: str) -> int:
    text = f"synth:{config.seed}:{subset}:{split}:{stream}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


# ============================================================ scores

_NORMAL = NormalDist()
_VALUES = np.array(lex.SCORE_VALUES)
# Latent thresholds: score index = number of thresholds below z.
_THRESHOLDS = np.array([_NORMAL.inv_cdf(c) for c in np.cumsum(lex.SCORE_PROBS)[:-1]])


def _hermite_coefficients(n_terms: int = 400) -> tuple[np.ndarray, float]:
    """Coefficients c_n of the score map g(z) in normalised Hermite polynomials, and Var g(Z).

    g(z) = v_0 + sum_j delta_j 1[z > t_j]; E[1[Z > t] h_n(Z)] = phi(t) h_{n-1}(t) / sqrt(n)
    for h_n = He_n / sqrt(n!). Then Cov(g(Z1), g(Z2)) = sum_n c_n^2 rho^n.
    """
    t = _THRESHOLDS
    delta = np.diff(_VALUES)
    phi = np.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    h_prev, h = np.zeros_like(t), np.ones_like(t)      # h_{-1}, h_0
    coef = np.zeros(n_terms + 1)
    for n in range(1, n_terms + 1):
        coef[n] = float((delta * phi * h).sum()) / math.sqrt(n)   # uses h_{n-1}
        h_prev, h = h, (t * h - math.sqrt(n - 1) * h_prev) / math.sqrt(n)
    probs = np.array(lex.SCORE_PROBS)
    mean = float((probs * _VALUES).sum())
    var = float((probs * (_VALUES - mean) ** 2).sum())
    return coef, var


_COEF, _VAR = _hermite_coefficients()


def score_correlation(latent_rho: float) -> float:
    """Pearson correlation of two scores whose latents correlate ``latent_rho``."""
    powers = latent_rho ** np.arange(len(_COEF))
    return float((_COEF[1:] ** 2 * powers[1:]).sum() / _VAR)


def latent_correlation(score_corr: float) -> float:
    """The latent correlation that gives scores the Pearson correlation ``score_corr``."""
    if score_corr <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if score_correlation(mid) < score_corr else (lo, mid)
    return (lo + hi) / 2


def draw_scores(rng: np.random.Generator, n: int, correlation: float,
                free_aspect: int | None = None) -> np.ndarray:
    """(n, 5) scores on the 0.1 grid; ``free_aspect`` is drawn independently of the rest."""
    rho = latent_correlation(correlation)
    quality = rng.standard_normal((n, 1))
    own = rng.standard_normal((n, N_SCORES))
    latent = math.sqrt(rho) * quality + math.sqrt(1.0 - rho) * own
    if free_aspect is not None:
        latent[:, free_aspect] = rng.standard_normal(n)
    idx = np.searchsorted(_THRESHOLDS, latent)
    return np.round(_VALUES[idx], 1)


# ============================================================ templates

def _level(value: float) -> int:
    for level, edge in enumerate(lex.LEVEL_EDGES):
        if value < edge:
            return level
    return len(lex.LEVEL_EDGES)


def _compile(text: str) -> tuple:
    """A template string as a tuple of items: ("lit", tokens) or (slot kind, name, clause)."""
    items, literal = [], []
    for tok in text.split():
        if tok.startswith("{") and tok.endswith("}") and len(tok) > 2:
            if literal:
                items.append(("lit", tuple(literal), 0))
                literal = []
            body = tok[1:-1]
            head, _, name = body.partition(":")
            clause = 0
            if head[-1].isdigit():
                head, clause = head[:-1], int(head[-1])
            items.append((head, name, clause))
        else:
            literal.append(tok)
    if literal:
        items.append(("lit", tuple(literal), 0))
    return tuple(items)


def _graded(table: dict) -> list[list[tuple]]:
    """A level -> phrases table as seven compiled lists; empty levels borrow the nearest."""
    defined = sorted(table)
    out = []
    for level in range(7):
        nearest = min(defined, key=lambda d: (abs(d - level), abs(d - 3)))
        out.append([_compile(p) for p in table[nearest]])
    return out


class _Aspect:
    """One aspect's compiled lexicon."""

    def __init__(self, index: int, spec: dict):
        self.index = index
        self.nouns = [tuple(n.split()) for n in spec["nouns"]]
        self.markers = [tuple(m.split()) for m in spec["markers"]]
        self.kinds = {kind: [_compile(t) for t in spec[kind]] for kind in ("describe", "judge", "follow", "mixed")}
        self.tables = {name: _graded(table) for name, table in spec["tables"].items()}


_SENTIMENT = {"S": _graded(lex.SENTIMENT), "SA": _graded(lex.SENTIMENT_ATTR)}
_WORDS = {name: [tuple(w.split()) for w in words] for name, words in lex.WORDS.items()}
_FAMILIES = {fam: {k: [tuple(w.split()) for w in v] for k, v in spec.items()} for fam, spec in lex.FAMILIES.items()}
_FAMILY_NAMES = sorted(_FAMILIES)
_ASPECTS = [_Aspect(i, spec) for i, spec in enumerate(lex.ASPECTS)]
_PAIR_NOUNS = {k: [tuple(n.split()) for n in v] for k, v in lex.PAIR_NOUNS.items()}
_PAIR_VERBS = {k: [tuple(n.split()) for n in v] for k, v in lex.PAIR_VERBS.items()}
_PAIR_JOINT = [_compile(t) for t in lex.PAIR_JOINT]
_PAIR_CONTRAST = [(_compile(a), _compile(b)) for a, b in lex.PAIR_CONTRAST]
_FILLER = {name: [_compile(t) for t in getattr(lex, name)] for name in ("FILLER_OPEN", "FILLER_MID", "FILLER_CLOSE")}

# Section shape per aspect: P(descriptive sentence), P(2nd graded), P(3rd graded | 2nd).
# Chosen so the rationale shares come near real Beer's (about 18/16/12% for 0-2).
_SECTION_SHAPE = {0: (0.55, 0.45, 0.15), 1: (0.55, 0.45, 0.10), 2: (0.40, 0.30, 0.05),
                  3: (0.65, 0.60, 0.25), 4: (0.0, 0.30, 0.0)}
_CANONICAL_ORDER = (0, 1, 3, 2, 4)  # look, smell, taste, feel, overall
_P_CANONICAL = 0.65
_P_MARKERS = 0.30
_P_PAIR = 0.30
_P_RUNON = 0.25         # reviews in note form: no full stop where the topic changes
_P_RUNON_COMMA = 0.3    # ... and some full stops inside a topic written as commas
_P_MIXED_FIRST = 0.2
_MIXED_SPREAD = (0.1, 0.25)   # a mixed sentence's clauses sit at score +- d, d in this range
# Filler: P(opening sentence), P(a second one), P(one between two sections), P(closing one).
_P_FILLER_OPEN, _P_FILLER_OPEN_2, _P_FILLER_MID, _P_FILLER_CLOSE = 0.7, 0.35, 0.2, 0.45
_LATER_KINDS = (("follow", 0.55), ("judge", 0.30), ("mixed", 0.15))
_NO_AN = ("one", "use", "uni", "eu")
# Properties of the beer itself: drawn once per review, so its sentences agree.
_STICKY = frozenset({"color", "clarity", "head_color", "body", "carb", "style"})


# ============================================================ reviews

@dataclass(frozen=True)
class SynthReview:
    """A generated review: tokens, five scores, and the rationale spans of each aspect."""

    tokens: tuple[str, ...]
    scores: tuple[float, ...]
    spans: tuple[tuple[Span, ...], ...]

    def to_annotation(self, rid: int) -> dict:
        """The review as an ``annotations.json`` record."""
        record = {"x": list(self.tokens), "y": list(self.scores), "raw": " ".join(self.tokens), "rid": rid}
        for k in range(N_SCORES):
            record[str(k)] = [list(s) for s in self.spans[k]]
        return record


class _Writer:
    """Writes one review at a time from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random, config: SynthConfig):
        self.rng = rng
        self.noise = config.sentiment_noise
        self.missing = config.missing_aspect_rate
        self.used_templates: set[int] = set()
        self.sticky: dict[str, tuple[str, ...]] = {}

    # ---- slots
    def _expand(self, template: tuple, levels: Sequence[int], aspect: _Aspect | None,
                family: dict, used: set, pair: tuple = ()) -> list[str]:
        rng, out = self.rng, []
        for kind, name, clause in template:
            if kind == "lit":
                out.extend(name)
            elif kind in _SENTIMENT:
                out.extend(self._expand(rng.choice(_SENTIMENT[kind][levels[clause]]), levels, aspect, family, used))
            elif kind == "X":
                out.extend(self._expand(self._pick(aspect.tables[name][levels[clause]]), levels, aspect, family, used))
            elif kind == "W":
                if name in _STICKY and name in self.sticky:
                    out.extend(self.sticky[name])
                    continue
                word = rng.choice(family[name] if name in family else _WORDS[name])
                if name in _STICKY:
                    self.sticky[name] = word
                out.extend(word)
            elif kind == "note":
                notes = family["note"]
                note = rng.choice(notes)
                while note in used:
                    note = rng.choice(notes)
                used.add(note)
                out.extend(note)
            elif kind == "N":
                out.extend(rng.choice(aspect.nouns))
            elif kind in ("Na", "Nb"):
                out.extend(rng.choice(_PAIR_NOUNS[pair[0 if kind == "Na" else 1]]))
            elif kind in ("Va", "Vb"):
                out.extend(rng.choice(_PAIR_VERBS[pair[0 if kind == "Va" else 1]]))
            else:
                raise ValueError(f"unknown template slot {kind!r}")
        return out

    def _value(self, score: float) -> int:
        return _level(score + self.rng.gauss(0.0, self.noise))

    def _mixed_levels(self, score: float) -> tuple[int, int, int]:
        d = self.rng.uniform(*_MIXED_SPREAD) * self.rng.choice((-1, 1))
        return self._value(score), self._value(score + d), self._value(score - d)

    def _pick(self, templates: Sequence[tuple]) -> tuple:
        # A review does not repeat a sentence template (a few tries, then allow it).
        for _ in range(4):
            template = self.rng.choice(templates)
            if id(template) not in self.used_templates:
                break
        self.used_templates.add(id(template))
        return template

    def _sentence(self, kind: str, aspect: _Aspect, score: float, family: dict) -> list[str]:
        if kind == "mixed":
            levels = self._mixed_levels(score)
            if levels[1] == levels[2]:      # no contrast left to express
                kind, levels = "judge", (levels[0],) * 3
        else:
            levels = (self._value(score),) * 3
        return self._expand(self._pick(aspect.kinds[kind]), levels, aspect, family, set())

    # ---- sections
    def _section(self, k: int, score: float, family: dict, graded_offset: int = 0,
                 antecedent: bool = False) -> list[list[str]]:
        """Sentences about aspect k: optional description, then graded sentences."""
        rng, aspect = self.rng, _ASPECTS[k]
        p_describe, p_second, p_third = _SECTION_SHAPE[k]
        sentences = []
        if aspect.kinds["describe"] and rng.random() < p_describe:
            sentences.append(self._sentence("describe", aspect, score, family))
        n_graded = 1
        if rng.random() < p_second:
            n_graded += 1 + (rng.random() < p_third)
        n_graded = max(0, n_graded + graded_offset)
        for _ in range(n_graded):
            if not sentences and not antecedent:
                kind = "mixed" if rng.random() < _P_MIXED_FIRST else "judge"
            else:
                r, kind = rng.random(), "judge"
                for name, weight in _LATER_KINDS:
                    if r < weight:
                        kind = name
                        break
                    r -= weight
            sentences.append(self._sentence(kind, aspect, score, family))
        return sentences

    def _pair(self, a: int, b: int, scores: Sequence[float], family: dict) -> list[tuple[list[str], tuple[int, ...]]]:
        """A two-aspect sentence as (tokens, aspects) segments."""
        la, lb = self._value(scores[a]), self._value(scores[b])
        if la == lb:
            template = self.rng.choice(_PAIR_JOINT)
            return [(self._expand(template, (la, la, lb), None, family, set(), (a, b)), (a, b))]
        first, second = self.rng.choice(_PAIR_CONTRAST)
        used: set = set()
        return [(self._expand(first, (la, la, lb), None, family, used, (a, b)), (a,)),
                (self._expand(second, (lb, la, lb), None, family, used, (a, b)), (b,))]

    def _filler(self, group: str, family: dict) -> list[str]:
        template = self._pick(_FILLER[group])
        return self._expand(template, (self._level_uniform(),) * 3, None, family, set())

    def _level_uniform(self) -> int:
        # Sentiment in filler is unrelated to the beer's scores.
        return self.rng.randrange(7)

    def review(self, scores: Sequence[float]) -> SynthReview:
        rng = self.rng
        self.used_templates = set()
        self.sticky = {}
        family = _FAMILIES[rng.choice(_FAMILY_NAMES)]
        present = [k for k in range(N_SCORES) if rng.random() >= self.missing]
        if len(present) < 3:
            present = sorted(rng.sample(range(N_SCORES), 3))
        markers = rng.random() < _P_MARKERS
        if markers or rng.random() < _P_CANONICAL:
            order = [k for k in _CANONICAL_ORDER if k in present]
        else:
            order = [k for k in present if k != 4]
            rng.shuffle(order)
            if 4 in present:
                order.insert(len(order) if rng.random() < 0.85 else rng.randrange(len(order) + 1), 4)

        pair_at = None
        if not markers and rng.random() < _P_PAIR:
            spots = [i for i in range(len(order) - 1) if order[i] < 4 and order[i + 1] < 4]
            if spots:
                pair_at = rng.choice(spots)

        segments: list[tuple[list[str], tuple[int, ...]]] = []
        if rng.random() < _P_FILLER_OPEN:
            segments.append((self._filler("FILLER_OPEN", family), ()))
            if rng.random() < _P_FILLER_OPEN_2:
                segments.append((self._filler("FILLER_OPEN", family), ()))
        for i, k in enumerate(order):
            if i > 0 and rng.random() < _P_FILLER_MID:
                segments.append((self._filler("FILLER_MID", family), ()))
            in_pair_b = pair_at is not None and i == pair_at + 1
            offset = -1 if pair_at is not None and i in (pair_at, pair_at + 1) else 0
            sentences = self._section(k, scores[k], family, graded_offset=offset, antecedent=in_pair_b)
            if markers and sentences:
                sentences[0] = list(rng.choice(_ASPECTS[k].markers)) + sentences[0]
            segments.extend((s, (k,)) for s in sentences)
            if pair_at is not None and i == pair_at:
                segments.extend(self._pair(k, order[i + 1], scores, family))
        if rng.random() < _P_FILLER_CLOSE:
            segments.append((self._filler("FILLER_CLOSE", family), ()))
        if rng.random() < _P_RUNON:
            segments = self._run_on(segments)
        return _assemble(segments, scores)

    def _run_on(self, segments: list) -> list:
        """Note form, one line per topic: line breaks are lost in tokenisation, so the full
        stop where the topic changes goes; inside a topic some full stops become commas."""
        out = []
        for i, (tokens, aspects) in enumerate(segments):
            if i < len(segments) - 1 and tokens[-1] == ".":
                if segments[i + 1][1] != aspects:
                    tokens = tokens[:-1]
                elif self.rng.random() < _P_RUNON_COMMA:
                    tokens = tokens[:-1] + [","]
            out.append((tokens, aspects))
        return out


def _assemble(segments: Iterable[tuple[list[str], tuple[int, ...]]], scores: Sequence[float]) -> SynthReview:
    tokens: list[str] = []
    masks = [[] for _ in range(N_SCORES)]
    for seg_tokens, aspects in segments:
        tokens.extend(seg_tokens)
        for k in range(N_SCORES):
            masks[k].extend([1 if k in aspects else 0] * len(seg_tokens))
    for i in range(len(tokens) - 1):
        nxt = tokens[i + 1]
        if tokens[i] == "a" and nxt[0] in "aeiou" and not nxt.startswith(_NO_AN):
            tokens[i] = "an"
    return SynthReview(tokens=tuple(tokens), scores=tuple(float(s) for s in scores),
                       spans=tuple(mask_to_spans(m) for m in masks))


# ============================================================ subsets and files

def subsets_for(correlated: bool, aspect: int) -> tuple[str, str]:
    """The review subset a setting trains on, and the annotated subset."""
    return (CORRELATED if correlated else f"aspect{aspect}"), ANNOTATED


def _free_aspect(subset: str) -> int | None:
    if subset in (CORRELATED, ANNOTATED):
        return None
    if subset.startswith("aspect") and subset[6:].isdigit() and 0 <= int(subset[6:]) < N_SCORES:
        return int(subset[6:])
    raise ValueError(f"synth: unknown subset {subset!r}; expected '260k', 'annotations' or 'aspect0'..'aspect4'")


def generate_reviews(config: SynthConfig, subset: str, split: str = "train",
                     progress: bool = False) -> list[SynthReview]:
    """The reviews of one file: ``subset`` is '260k', 'aspect{k}' or 'annotations'."""
    if split not in ("train", "heldout"):
        raise ValueError(f"synth: split must be 'train' or 'heldout', got {split!r}")
    if subset == ANNOTATED:
        split = "test"
    free = _free_aspect(subset)
    n = subset_size(config, subset, split)
    scores = draw_scores(np.random.default_rng(_seed_for(config, subset, split, "scores")), n,
                         config.correlation, free)
    writer = _Writer(random.Random(_seed_for(config, subset, split, "text")), config)
    rows = scores.tolist()
    if progress:
        from ..progress import progress as progress_bar
        rows = progress_bar(rows, f"synth {subset} {split}", leave=False, mininterval=1.0, step=0.5)
    return [writer.review(row) for row in rows]


def _file_jobs(correlated: bool, aspect: int) -> list[tuple[str, str, str]]:
    """(file name, subset, split) of every file a setting needs."""
    subset, _ = subsets_for(correlated, aspect)
    train_name, dev_name = review_files(correlated, aspect)
    return [(train_name, subset, "train"), (dev_name, subset, "heldout"), (ANNOTATIONS, ANNOTATED, "train")]


def write_subset_file(folder: Path, config: SynthConfig, name: str, subset: str, split: str,
                      progress: bool = False) -> Path:
    """Generate one file and write it atomically."""
    path = Path(folder) / name
    reviews = generate_reviews(config, subset, split, progress=progress)
    if subset == ANNOTATED:
        write_annotations(path, (r.to_annotation(i) for i, r in enumerate(reviews)))
    else:
        write_reviews(path, ((r.scores, r.tokens) for r in reviews))
    return path


def _check_manifest(folder: Path, config: SynthConfig, names: Sequence[str]) -> None:
    """Write the folder's manifest, or refuse a folder made from another config or other data."""
    from ..io import read_json, write_json

    manifest = folder / MANIFEST
    expected = {"generator": "ratlib.data.synth", "version": GENERATOR_VERSION, "config": config.to_json()}
    if manifest.is_file():
        found = read_json(manifest)
        if found != expected:
            raise ValueError(f"synth: {folder} holds files generated from another configuration or "
                             "another version of the generator "
                             f"({manifest} says {found}, this run needs {expected}); "
                             "use another data_dir or delete that folder")
        return
    clashing = [n for n in names if (folder / n).exists()]
    if clashing:
        raise ValueError(f"synth: {folder} already holds {', '.join(clashing)} but no {MANIFEST}: "
                         "these files were not made by the generator; use another data_dir")
    write_json(manifest, expected)


def prepare_files(config: SynthConfig, correlated: bool, aspect: int,
                  data_dir: str | Path | None = None, progress: bool = True) -> Path:
    """Make sure the files of a setting exist; returns their folder.

    Files are generated only when missing, into ``data_dir`` or into
    ``cache_dir("synth", config.key())``.
    """
    if not 0 <= aspect < N_SCORES:
        raise ValueError(f"synth: aspect must be in 0..{N_SCORES - 1}, got {aspect}")
    folder = Path(data_dir) if data_dir else cache_dir("synth", config.key())
    folder.mkdir(parents=True, exist_ok=True)
    jobs = _file_jobs(correlated, aspect)
    _check_manifest(folder, config, [name for name, _, _ in jobs])
    for name, subset, split in jobs:
        if not (folder / name).is_file():
            write_subset_file(folder, config, name, subset, split, progress=progress)
    return folder


@register_dataset("synth", version=generator_version)
def build_synth(config: DataConfig) -> Splits:
    """The generated benchmark for one aspect and setting, read back by the Beer loader."""
    synth = SynthConfig.from_options(config.options)
    folder = prepare_files(synth, config.correlated, config.aspect, config.data_dir)
    return read_lei_splits(folder, config, dataset="synth", hint=SYNTH_HINT)


# ============================================================ vocabulary and statistics

def vocabulary() -> set[str]:
    """Every token the generator can emit."""
    words: set[str] = set()

    def add(texts):
        for text in texts:
            words.update(t for t in text.split() if not (t.startswith("{") and t.endswith("}")))

    add(p for table in (lex.SENTIMENT, lex.SENTIMENT_ATTR) for l in table for p in table[l])
    add(w for ws in lex.WORDS.values() for w in ws)
    add(w for fam in lex.FAMILIES.values() for ws in fam.values() for w in ws)
    for spec in lex.ASPECTS:
        add(spec["nouns"] + spec["markers"])
        for kind in ("describe", "judge", "follow", "mixed"):
            add(spec[kind])
        add(p for table in spec["tables"].values() for ps in table.values() for p in ps)
    add(n for ns in (*lex.PAIR_NOUNS.values(), *lex.PAIR_VERBS.values()) for n in ns)
    add(lex.PAIR_JOINT)
    add(part for pair in lex.PAIR_CONTRAST for part in pair)
    add(lex.FILLER_OPEN + lex.FILLER_MID + lex.FILLER_CLOSE)
    words.add("an")  # from the article fix
    return words


def review_statistics(reviews: Sequence[SynthReview], annotated: bool = False) -> dict:
    """n, length, label balance, rationale share and score correlations of a list of reviews.

    With ``annotated`` the per-aspect label counts follow the annotated-set
    rule of the loader: only reviews with a span for the aspect count.
    """
    n = len(reviews)
    lengths = np.array([len(r.tokens) for r in reviews])
    scores = np.array([r.scores for r in reviews])
    total_tokens = int(lengths.sum())
    aspects = {}
    for k, name in enumerate(lex.ASPECT_NAMES):
        pos = neg = mid = 0
        gold = mentioned = 0
        for r in reviews:
            k_tokens = sum(e - s for s, e in r.spans[k])
            gold += k_tokens
            mentioned += k_tokens > 0
            if annotated and not k_tokens:
                continue
            label = label_of(r.scores[k])
            pos += label == 1
            neg += label == 0
            mid += label is None
        aspects[name] = {"pos": pos, "neg": neg, "dropped": mid,
                         "rationale_share": gold / total_tokens if total_tokens else 0.0,
                         "mentioned": mentioned / n if n else 0.0}
    corr = np.corrcoef(scores.T) if n > 1 else np.eye(N_SCORES)
    return {
        "n": n,
        "mean_length": float(lengths.mean()) if n else 0.0,
        "std_length": float(lengths.std()) if n else 0.0,
        "max_length": int(lengths.max()) if n else 0,
        "aspects": aspects,
        "score_correlation": np.round(corr, 4).tolist(),
    }


def benchmark_statistics(config: SynthConfig | None = None,
                         subsets: Sequence[str] = (CORRELATED, "aspect0", "aspect1", "aspect2", ANNOTATED),
                         progress: bool = False) -> dict:
    """Statistics per split: ``{"260k/train": {...}, "aspect0/heldout": {...}, "annotations": {...}}``."""
    config = config or SynthConfig()
    out = {}
    for subset in subsets:
        splits = ("train",) if subset == ANNOTATED else ("train", "heldout")
        for split in splits:
            reviews = generate_reviews(config, subset, split, progress=progress)
            key = subset if subset == ANNOTATED else f"{subset}/{split}"
            out[key] = review_statistics(reviews, annotated=subset == ANNOTATED)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m ratlib.data.synth [--n-train N] [--out FILE]``: print the statistics as JSON."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--n-train", type=int, default=SynthConfig.n_train)
    parser.add_argument("--correlation", type=float, default=SynthConfig.correlation)
    parser.add_argument("--out", help="write the JSON here instead of printing it")
    args = parser.parse_args(argv)
    config = SynthConfig(n_train=args.n_train, correlation=args.correlation)
    start = time.perf_counter()
    stats = benchmark_statistics(config, progress=True)
    stats["seconds"] = round(time.perf_counter() - start, 2)
    text = json.dumps({"config": config.to_json(), "statistics": stats}, indent=1)
    if args.out:
        from ..io import atomic_path
        with atomic_path(args.out) as tmp:
            Path(tmp).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
