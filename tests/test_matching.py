"""The matcher as press officers meet it: forgiving of how they type, honest when unsure."""

from __future__ import annotations

import pytest

from bot.content import load_snapshot
from bot.matching import ANSWER, NO_MATCH, SUGGESTIONS, Index, MatchSettings
from bot.matching.index import TIE_BAND
from conftest import TODAY


def top_text(index: Index, query: str) -> str:
    match = index.search(query, TODAY)
    assert match.results, f"nothing for {query!r}"
    return match.results[0].entry.display_text


def top_ids(index: Index, query: str, n: int = 3) -> list[str]:
    return [r.entry.id for r in index.search(query, TODAY).results[:n]]


def test_a_specific_question_gets_a_confident_verbatim_answer(index, snapshot):
    match = index.search("traffic offenses", TODAY)
    assert match.status == ANSWER
    assert "driving under the influence accounts for the overwhelming majority" in \
        match.results[0].entry.text
    assert match.results[0].entry.text == snapshot.by_id[match.results[0].entry.id].text


@pytest.mark.parametrize("query", [
    "What's the weather in Miami tomorrow",
    "parking at headquarters",
    "what time does the cafeteria open",
    "who won the game last night in Atlanta",
])
def test_an_unrelated_question_is_never_answered(index, query):
    match = index.search(query, TODAY)
    assert match.status != ANSWER
    assert match.status == NO_MATCH


def test_a_vague_question_gets_suggestions_not_a_guess(index):
    match = index.search("secure communities", TODAY)
    assert match.status == SUGGESTIONS
    assert len(match.results) == 3


def test_only_stop_words_is_no_match(index):
    assert index.search("what is the", TODAY).status == NO_MATCH
    assert index.search("", TODAY).status == NO_MATCH


@pytest.mark.parametrize("typed, meant", [
    ("racial profiling", "racail profilng"),
    ("fingerprints forged", "fingreprints froged"),
    ("complaint process", "COMPLAINT   PROCESS!!!"),
])
def test_case_punctuation_and_typos_do_not_matter(index, typed, meant):
    assert top_ids(index, meant, 1) == top_ids(index, typed, 1)


def test_typo_corrections_are_reported(index):
    match = index.search("racail profilng", TODAY)
    assert match.corrections == {"racail": "racial", "profilng": "profiling"}


@pytest.mark.parametrize("forms", [
    ("deport", "deported", "deportation", "deporting"),
    ("remove", "removed", "removal", "removing"),
    ("biometric", "biometrics"),
])
def test_word_forms_do_not_matter(index, forms):
    results = {tuple(top_ids(index, f"how many criminals were {form}")) for form in forms}
    assert len(results) == 1


def test_synonyms_count(index):
    assert "driving under the influence" in top_text(index, "DUI")
    assert "driving under the influence" in top_text(index, "drunk driving arrests")
    assert top_ids(index, "how many were deported", 1) == top_ids(index, "how many were removed", 1)


def test_a_synonym_group_from_the_knowledge_is_used(knowledge_copy):
    extra = knowledge_copy / "synonyms-extra.yaml"
    before = Index(load_snapshot(knowledge_copy)).search("zebra crossing", TODAY)
    assert before.status == NO_MATCH
    extra.write_text("synonyms:\n  - [zebra crossing, op-ed]\n")
    after = Index(load_snapshot(knowledge_copy)).search("zebra crossing", TODAY)
    assert after.results[0].entry.id == "action-op-ed"


def test_short_acronyms_work(index):
    assert "ACLU" in top_text(index, "ACLU")
    assert "CRCL" in top_text(index, "CRCL")


def test_alternate_questions_help_but_are_never_the_answer(index, snapshot):
    entry = snapshot.by_id["sb-color-blind"]
    alternate = entry.questions[0]
    match = index.search(alternate, TODAY)
    assert match.results[0].entry.id == entry.id
    assert alternate not in match.results[0].entry.display_text


def test_a_long_pasted_reporter_question_finds_the_right_response(index):
    question = ("Hi, I'm writing a story for tomorrow's paper. Advocates in Houston tell me "
                "the fingerprint program has led to racial profiling by local police. Has ICE "
                "received any complaints about that, and how would someone file one?")
    assert "complaint" in top_text(index, question).lower()


def test_expired_content_is_never_served(knowledge_copy):
    document = knowledge_copy / "ice-secure-communities-2009-04" / "document.yaml"
    document.write_text(document.read_text().replace("date: 2009-04-23",
                                                     "date: 2009-04-23\n  expires: 2010-01-01"))
    index = Index(load_snapshot(knowledge_copy))
    assert index.search("traffic offenses", TODAY).results == ()
    assert index.search("traffic offenses", TODAY).status == NO_MATCH
    from datetime import date
    assert index.search("traffic offenses", date(2009, 4, 27)).status == ANSWER


def test_thresholds_are_settings(snapshot):
    strict = Index(snapshot, MatchSettings(answer_min_score=101))
    assert strict.search("traffic offenses", TODAY).status == SUGGESTIONS
    lax = Index(snapshot, MatchSettings(suggest_min_score=0, answer_min_score=0,
                                        answer_min_margin=0))
    assert lax.search("sheriffs", TODAY).status == ANSWER


def test_results_are_best_first_with_scores_in_range(index):
    """Best first; only responses that fit about equally (within TIE_BAND) trade places."""
    for query in ("racial profiling", "how many removed", "who is the press contact"):
        scores = [r.score for r in index.search(query, TODAY, limit=5).results]
        for before, after in zip(scores, scores[1:], strict=False):
            assert before >= after or after - before <= TIE_BAND
        assert all(0 <= s <= 100 for s in scores)


def test_what_a_question_asks_for_and_what_an_entry_states():
    from bot.matching.intent import PLACE, QUANTITY, TIME, asked_for, stated_in

    assert asked_for("how many people were removed") == (QUANTITY,)
    assert asked_for("when did it start") == (TIME,)
    assert asked_for("where are the protests") == (PLACE,)
    assert asked_for("racial profiling") == ()
    assert stated_in(["identified more than 18,000 aliens"]) == (QUANTITY,)
    assert stated_in(["in 25 percent of cases"]) == (QUANTITY,)
    assert stated_in(["Call 202-732-4217"]) == ()  # a phone number is not a quantity
    assert stated_in(["on April 26, 2009"]) == (TIME,)  # a date is a time, not a quantity
    assert stated_in(["Level 2 offenders"]) == ()
    assert stated_in(["events"], places=["Chicago"]) == (PLACE,)


def test_typo_lookups_are_remembered_in_a_bounded_cache(snapshot, monkeypatch):
    import bot.matching.spelling as spelling_module

    monkeypatch.setattr(spelling_module, "TYPO_CACHE_SIZE", 5)
    index = Index(snapshot)
    unknown = [f"qzxwv{letter}kkk" for letter in "abcdefghijklmnopqrst"]
    index.search("interoprability", TODAY)
    for word in unknown[:4]:
        index.search(word, TODAY)
    index.search("interoprability", TODAY)  # used again: now the most recent
    index.search(unknown[4], TODAY)  # the cache is full: the least recently used goes
    cache = index.spellings.typo_cache
    assert "interoprability" in cache and unknown[0] not in cache
    for word in unknown:
        index.search(word, TODAY)
    assert len(cache) == 5


def test_a_synonym_counts_once_however_many_of_its_phrases_share_a_stem():
    """"remove" and "removal" are one stem: "removed" must not weigh the group twice."""
    from bot.matching.analysis import Analyzer

    analyzer = Analyzer([("removal", "deportation", "remove", "deport")])
    group = [t for t in analyzer.terms("aliens removed") if t.startswith("~")]
    assert group == ["~g0"]
    (concept,) = analyzer.concepts("removed")
    assert [t for t, _ in concept.alternatives].count("~g0") == 1
