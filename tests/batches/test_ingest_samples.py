"""The sample pictures the ingest tests build: an unseeded picture is never a copy of another picture.

An unseeded picture that happened to equal a seeded one was refused as a duplicate, so a test's image count
depended on how many tests had run before it in the same worker (CI failed that way once).
"""

from __future__ import annotations

import hashlib

from tests.batches import ingest_samples as samples


def test_unseeded_colours_never_repeat_and_never_meet_a_seeded_one():
    seeded = {samples._colour(n) for n in range(1024)}
    fresh = [samples._colour(None) for _ in range(5000)]
    assert len(set(fresh)) == len(fresh)
    assert not seeded & set(fresh)


def test_the_hundreds_of_unseeded_jpegs_a_worker_makes_all_differ_from_seed_3():
    seeded = hashlib.sha256(samples.jpeg(seed=3)).hexdigest()
    made = {hashlib.sha256(samples.jpeg()).hexdigest() for _ in range(600)}
    assert len(made) == 600
    assert seeded not in made
