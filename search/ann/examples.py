"""Questions about other authorities' work, as a small vector set beside the staff questions.

data/dict/other_work.tsv holds how people ask for work that belongs to courts, the police, banks,
hospitals, schools and the rest (`authority<TAB>question`). The index build embeds them; the owner
answer (search/owner.py) asks which of them a question is closest to, and whether it is closer to
one of them than to any staff question of the lists (search/ann/questions.py): 网购的东西一直不发货
names no term of authorities.txt, but it is asked the way the e-commerce platform's work is asked.

The build writes EXAMPLES_FILE: `vectors` (float16, one row a question), `authority` (each row's
authority, an index into `authorities`), `authorities` (the names).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

EXAMPLES_FILE = "other_work.npz"


def read_examples_file(path: Path) -> list[tuple[str, str]]:
    """(authority, question) pairs of an `authority<TAB>question` file (# starts a comment);
    ValueError naming the file and line of a malformed one."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        authority, sep, question = line.partition("\t")
        if not sep or not authority.strip() or not question.strip():
            raise ValueError(f"{path}:{number}: expected authority<TAB>question")
        rows.append((authority.strip(), question.strip()))
    return rows


@dataclass(frozen=True)
class WorkExamples:
    vectors: np.ndarray            # (questions, dim) float32, L2-normalized
    authority: np.ndarray          # (questions,) int32 index into `authorities`
    authorities: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.vectors)

    def nearest(self, vector: np.ndarray) -> tuple[str, float]:
        """The authority of the question closest to `vector`, and its cosine."""
        cosines = self.vectors @ vector
        best = int(np.argmax(cosines))
        return self.authorities[int(self.authority[best])], float(cosines[best])

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, vectors=self.vectors.astype(np.float16), authority=self.authority,
                 authorities=np.array(self.authorities))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "WorkExamples":
        with np.load(io.BytesIO(data)) as z:
            return cls(z["vectors"].astype(np.float32), z["authority"].astype(np.int32),
                       tuple(str(a) for a in z["authorities"]))


def examples_of(rows: list[tuple[str, str]], encode: Callable[[list[str]], np.ndarray]) -> WorkExamples:
    """The rows' questions embedded (normalized), each with its authority."""
    authorities = tuple(dict.fromkeys(a for a, _ in rows))
    index = {a: i for i, a in enumerate(authorities)}
    vectors = np.asarray(encode([q for _, q in rows]), dtype=np.float32).reshape(len(rows), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return WorkExamples(vectors / np.where(norms > 0, norms, 1.0), np.array([index[a] for a, _ in rows], np.int32),
                        authorities)


def write_examples(examples: WorkExamples, build_dir: Path) -> None:
    (Path(build_dir) / EXAMPLES_FILE).write_bytes(examples.to_bytes())


def read_examples(build_dir: Path) -> WorkExamples | None:
    """The build's examples; None for a build without them (written before session 23)."""
    path = Path(build_dir) / EXAMPLES_FILE
    return WorkExamples.from_bytes(path.read_bytes()) if path.is_file() else None
