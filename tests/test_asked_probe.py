"""tests/eval/asked_probe.py --add/--within: which added questions a probe build gets."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "eval"))
from asked_probe import added_questions  # noqa: E402


def test_added_questions_within_keeps_those_search_takes_to_their_item(app_index_dir, tmp_path):
    path = tmp_path / "more.tsv"
    path.write_text("# a comment\n"
                    "森林草原防火\t山上着火了找谁\n"
                    "森林草原防火\t低保怎么申请\n"
                    "\n", encoding="utf-8")
    every = added_questions(path, None)
    assert every == ["森林草原防火\t山上着火了找谁", "森林草原防火\t低保怎么申请"]
    assert added_questions(path, 10, app_index_dir) == every[:1]
