"""What changed on an image against its previous version (rework #19): the review of a relabelled batch.

A current box matches a previous box of the same class when they overlap enough (IoU ≥ 0.5); a match that
moved or resized by more than a pixel is "moved"; previous boxes without a match are "removed", current
boxes without one are "added".
"""

from __future__ import annotations

from dataclasses import dataclass, field

MATCH_IOU = 0.5
SAME_WITHIN = 1.0  # pixels


def _iou(a, b) -> float:
    x1, y1 = max(a.x, b.x), max(a.y, b.y)
    x2, y2 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Diff:
    added: list = field(default_factory=list)  # current boxes
    removed: list = field(default_factory=list)  # previous boxes
    moved: list = field(default_factory=list)  # previous positions of boxes that moved

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.moved)


def compare(previous: list, current: list) -> Diff:
    diff = Diff()
    left = list(previous)
    for box in current:
        candidates = [(p, _iou(p, box)) for p in left if p.label_class_id == box.label_class_id]
        best = max(candidates, key=lambda pair: pair[1], default=(None, 0.0))
        if best[0] is None or best[1] < MATCH_IOU:
            diff.added.append(box)
            continue
        match = best[0]
        left.remove(match)
        if any(abs(getattr(match, f) - getattr(box, f)) > SAME_WITHIN for f in ("x", "y", "w", "h")):
            diff.moved.append(match)
    diff.removed = left
    return diff
