"""The demo blog's five planted topics (medication, sleep, therapy, insurance, commitment) come back.

``demoblog.generate`` plants exactly one topic per post; with ``model="auto"`` and a k sweep the
selection rule must find k = 5 and each planted topic must own exactly one model topic.
"""

from __future__ import annotations

from collections import Counter

import pytest

from demoblog.generate import generate
from pipeline.topics import fit_corpus


@pytest.mark.parametrize("flavour", ["wordpress", "blogger"])
def test_demo_blog_planted_topics_are_recovered(flavour: str) -> None:
    blog = generate(flavour)
    posts = [p for p in blog.posts if p.public]
    texts = ["\n\n".join([p.title, *p.paragraphs]) for p in posts]
    planted = [p.topic for p in posts]
    result = fit_corpus(texts, k=None, k_min=3, k_max=8, model="auto", seed=42)
    assert result.k == 5, result.candidates
    owner = {}
    for topic in result.topics:
        members = Counter(label for label, d in zip(planted, result.dominant_topic) if d == topic.topic_id)
        assert members, f"topic {topic.label!r} dominates no post"
        label, count = members.most_common(1)[0]
        assert count == sum(members.values()), f"topic {topic.label!r} mixes {dict(members)}"
        owner[topic.topic_id] = label
    assert sorted(owner.values()) == sorted(set(planted))  # a bijection: each planted topic once
