"""Not-checked records reported by several stacks are listed once each (geozones check's stderr line)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from geozones.engine.explain import unique_not_checked

_record = st.fixed_dictionaries({
    "rule_id": st.sampled_from(["R07", "R08", "R13", "R25"]),
    "layer": st.sampled_from(["parks", "tps", "kpu_points"]),
    "reason": st.sampled_from(["absent", "partial"]),
}, optional={"kota": st.sampled_from(["Jakarta Pusat", "Jakarta Selatan"])})


def _key(c: dict) -> tuple:
    return c["rule_id"], c["layer"], c.get("kota")


@given(st.lists(_record, max_size=20))
def test_each_rule_layer_kota_once_in_first_seen_order(records):
    out = unique_not_checked(records)
    keys = [_key(c) for c in out]
    assert len(keys) == len(set(keys))
    assert keys == list(dict.fromkeys(_key(c) for c in records))
    assert all(any(c is r for r in records) for c in out)  # the first record itself, not a copy


def test_two_stacks_of_one_kota_report_once_two_kota_twice():
    stack = [{"rule_id": "R13", "layer": "kpu_points"}, {"rule_id": "R25", "layer": "tps"}]
    assert unique_not_checked(stack + stack) == stack
    jp = [{**c, "kota": "Jakarta Pusat"} for c in stack]
    js = [{**c, "kota": "Jakarta Selatan"} for c in stack]
    assert unique_not_checked(jp + js + jp) == jp + js
