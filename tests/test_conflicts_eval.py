"""The perturbations of ``storyline eval conflicts``: a person's name, a day or a count changed, never a title the
tagger took for a name, an organisation, or a figure inside a date."""

from __future__ import annotations

import random

import pytest

from storyline.evaluate.conflicts import ConflictResult, Perturbation, _perturb, _reads_as_name

COMMON = {"special", "agent", "police", "clerk", "mark"}


@pytest.mark.parametrize(
    ("name", "reads"),
    [
        ("Cesar Sayoc Jr.", True),
        ("Beto O'Rourke", True),
        ("Mark Warner", True),  # a first name may be a common word
        ("Special Agent", False),  # a title
        ("Chief Clerk", False),
        ("BBC Panorama", False),  # an organisation
        ("Alexandria Police", False),
        ("Mitt Romney’s", False),
        ("Trump", False),  # one word: nothing to replace it with in full
    ],
)
def test_conflicts_eval_draws_only_names_that_read_as_a_persons(name: str, reads: bool) -> None:
    assert _reads_as_name(name, COMMON) is reads


def test_conflicts_eval_changes_no_count_inside_a_date() -> None:
    sentence = "The Senate voted to let 9/11 victims sue, 97 to 1."
    change = _perturb(sentence, [], [], random.Random(1), "The Senate voted 97 to 1 for the 9/11 bill.")
    assert change is not None and change[0] == "number" and change[1] in {"97", "1"}


def test_conflicts_eval_lists_the_changes_it_missed_by_record_and_values() -> None:
    found = Perturbation("r1", "Talks began on Monday.", "date", "Monday", "Tuesday")
    missed = Perturbation("r2", "Mr. Smith spoke.", "person", "Smith", "Jones")
    result = ConflictResult("f.jsonl", 2, 0, 0, 0, [found, missed], [True, False])
    data = result.to_json()
    assert data["recall"] == 0.5 and data["perturbations"] == 2
    assert data["missed"] == [{"record": "r2", "kind": "person", "before": "Smith", "after": "Jones"}]
