"""Name matching between BPS and Kemendagri tables."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from geozones.sources.names import match_names, normalise


def test_spelling_variants_and_generic_words():
    left = {"a": "Pal Meriem", "b": "Kampung Tengah", "c": "Kampung Melayu", "d": "Bidara Cina"}
    right = {"1": "Palmeriam", "2": "Tengah", "3": "Kampung Melayu", "4": "Bidara Cina"}
    matches, ul, ur = match_names(left, right)
    got = {m.left: (m.right, m.method) for m in matches}
    assert got == {"a": ("1", "spelling"), "b": ("2", "generic-word"), "c": ("3", "exact"), "d": ("4", "exact")}
    assert ul == [] and ur == []


def test_never_by_position_and_unmatched_reported():
    # Same count, different order and one name with no partner: nothing is paired by position.
    left = {"01": "Gambir", "02": "Cideng", "03": "Zzyzx"}
    right = {"1002": "Cideng", "1001": "Gambir", "1009": "Petojo"}
    matches, ul, ur = match_names(left, right)
    assert {(m.left, m.right) for m in matches} == {("01", "1001"), ("02", "1002")}
    assert ul == ["03"] and ur == ["1009"]


def test_ambiguous_names_are_not_guessed():
    matches, ul, ur = match_names({"a": "Utan Kayu", "b": "Utan Kayu"}, {"1": "Utan Kayu"})
    assert matches == [] and ul == ["a", "b"] and ur == ["1"]


@given(st.lists(st.text(alphabet="abcdefghij ", min_size=3, max_size=12).filter(lambda s: normalise(s)),
                min_size=1, max_size=8, unique_by=lambda s: normalise(s).replace(" ", "")))
def test_shuffled_identical_tables_pair_exactly(names):
    left = {f"L{i}": n for i, n in enumerate(names)}
    right = {f"R{i}": n.upper() for i, n in enumerate(reversed(names))}
    matches, ul, ur = match_names(left, right)
    assert not ul and not ur
    for m in matches:
        assert normalise(m.left_name).replace(" ", "") == normalise(m.right_name).replace(" ", "")
