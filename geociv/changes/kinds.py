"""The kinds of division change (行政区划变更) a case or a proposal can be.

The codes only; their Chinese labels are :data:`geociv.labels.CHANGE_KIND_LABELS`.

Examples
--------
>>> CHANGE_KINDS[:2]
('township_to_town', 'to_subdistrict')
>>> "seat_move" in CHANGE_KINDS and "seat_move" not in PROPOSABLE_KINDS
True
"""

from __future__ import annotations

from geociv.store.change_records import DIVISION_CHANGE_KINDS

#: Every kind of division change, in the order the issue lists them: 撤乡设镇, 撤乡/镇设街道,
#: 更名, 新设, 撤销, 合并, 拆分, 隶属/管辖调整, 代码变更, 驻地迁移 (the store keeps the same list).
CHANGE_KINDS: tuple[str, ...] = DIVISION_CHANGE_KINDS

#: The kinds a comparison of two code lists can show: a seat move (驻地迁移) leaves no trace
#: in a code list, so it is never proposed.
PROPOSABLE_KINDS: tuple[str, ...] = tuple(k for k in CHANGE_KINDS if k != "seat_move")
