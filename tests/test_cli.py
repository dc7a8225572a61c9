"""The `facts-bot` command line, run as a user runs it: the installed console script."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
RESULT_KEYS = {"id", "kind", "title", "text", "score", "source"}


def run(*args: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run([FACTS_BOT, *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_ask_json_follows_the_contract(snapshot):
    done = run("ask", "--json", "racial", "profiling")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["query"] == "racial profiling"
    assert out["status"] == "suggestions"  # several responses fit equally (README)
    assert len(out["results"]) == 3
    for result in out["results"]:
        assert result.keys() >= RESULT_KEYS
        assert isinstance(result["score"], float)
        assert set(result["source"]) >= {"document", "section", "date"}
        assert result["source"]["date"] == "2009-04-23"
        assert result["text"] == snapshot.by_id[result["id"]].display_text  # verbatim
    assert "profiling" in out["results"][0]["text"]


def test_ask_limit_and_plain_output():
    out = json.loads(run("ask", "--json", "--limit", "1", "secure communities").stdout)
    assert len(out["results"]) == 1
    plain = run("ask", "traffic", "offenses")
    assert plain.returncode == 0
    assert "driving under the influence accounts for the overwhelming majority" in plain.stdout
    assert "Talking Points" in plain.stdout and "2009-04-23" in plain.stdout


def test_ask_distinguishes_several_fitting_from_none_fitting():
    assert "Several approved responses fit" in run("ask", "racial", "profiling").stdout
    partial = run("ask", "does", "the", "ACLU", "support", "the", "program").stdout
    assert "No exact approved answer" in partial


def test_ask_says_so_when_nothing_is_approved():
    plain = run("ask", "parking", "at", "headquarters")
    assert "No approved response" in plain.stdout
    out = json.loads(run("ask", "--json", "parking at headquarters").stdout)
    assert out["status"] == "no_match"


def test_batch_answers_every_line_in_order(tmp_path):
    queries = ["DUI", "parking at headquarters", "", "racail profilng", "ACLU"]
    batch = tmp_path / "queries.txt"
    batch.write_text("\n".join(queries) + "\n")
    from_file = run("ask", "--json", "--batch", str(batch))
    from_stdin = run("ask", "--json", "--batch", "-", stdin="\n".join(queries) + "\n")
    for done in (from_file, from_stdin):
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line["query"] for line in lines] == queries
        assert lines[1]["status"] == "no_match" and lines[2]["status"] == "no_match"


def test_a_typographic_dash_between_words_separates_them_as_a_space_does():
    """Phones and Macs turn "--" into a dash, and people type one between words
    ("fingerprints—accurate?"): the words either side are still the words asked about."""
    spaced = ["fingerprints accurate?", "traffic offenses, how many?",
              "racial profiling, what is the response?", "level 2 or 3"]
    dashed = [spaced[0].replace(" ", "—"), spaced[1].replace(", ", "–"),
              spaced[2].replace(", ", "―"), spaced[3].replace(" or ", "‒")]
    done = run("ask", "--json", "--batch", "-", stdin="\n".join(spaced + dashed) + "\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    for plain, typed in zip(lines[:len(spaced)], lines[len(spaced):], strict=True):
        assert plain["results"], plain["query"]
        assert (typed["status"], [r["id"] for r in typed["results"]]) == (
            plain["status"], [r["id"] for r in plain["results"]]), typed["query"]


FRAMES = ["comment on {}", "statement on {}", "our line on {}", "any guidance on {}",
          "messaging on {}", "talking points on {}", "need something on {}",
          "reporter asking about {}", "a journalist is asking about {}",
          "is it true that {}", "can you confirm {}", "true or false: {}", "{}, right?",
          "{}, correct?"]


@pytest.mark.parametrize("topic", ["racial profiling", "cost to local police",
                                   "fingerprints are reliable"])
def test_a_press_request_wrapped_around_a_topic_asks_about_the_topic(topic):
    """"Comment on X", "our line on X", "is it true that X": the wrapper is how a press
    office asks for approved words, not what the words are about."""
    queries = [topic] + [frame.format(topic) for frame in FRAMES]
    done = run("ask", "--json", "--batch", "-", stdin="\n".join(queries) + "\n")
    assert done.returncode == 0, done.stderr
    plain, *framed = [json.loads(line) for line in done.stdout.splitlines()]
    assert plain["results"] and plain["status"] != "no_match"
    for line in framed:
        assert (line["status"], [r["id"] for r in line["results"]]) == (
            plain["status"], [r["id"] for r in plain["results"]]), line["query"]


def test_nothing_and_nobody_are_function_words_like_anything_and_anybody():
    """"Secure Communities costs local police nothing" asks what "...costs local police"
    asks: like "not" and "anything", these words name no topic a plan could answer."""
    topic = "does secure communities cost local police"
    queries = [topic] + [f"{topic} {word}" for word in ("nothing", "anything")] + [
        f"{word} {topic}?" for word in ("nobody says", "none say", "everything says")]
    done = run("ask", "--json", "--batch", "-", stdin="\n".join(queries) + "\n")
    assert done.returncode == 0, done.stderr
    plain, *others = [json.loads(line) for line in done.stdout.splitlines()]
    assert plain["status"] == "answer"
    for line in others:
        assert line["status"] == "answer", line["query"]
        assert line["results"][0]["id"] == plain["results"][0]["id"], line["query"]


def test_a_word_typed_in_two_pieces_is_read_as_the_word():
    """ "finger printing" is "fingerprinting", though the plan only writes "fingerprints":
    two typed pieces are joined when the joined word is a form of a word the plan uses;
    and a word the plan writes in two ("color blind") is read so when typed as one."""
    pairs = [("finger printing", "fingerprinting"), ("data base", "database"),
             ("is it colorblind", "is it color blind")]  # and the other way round
    done = run("ask", "--json", "--batch", "-",
               stdin="\n".join(q for pair in pairs for q in pair) + "\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    for pieces, word in zip(lines[::2], lines[1::2], strict=True):
        assert word["results"], word["query"]
        assert (pieces["status"], [r["id"] for r in pieces["results"]]) == (
            word["status"], [r["id"] for r in word["results"]]), pieces["query"]


def test_the_people_who_do_a_thing_find_the_thing():
    """The stemmer leaves "kidnappers" longer ("kidnapp") than "kidnapping" ("kidnap"):
    asked about the people, the plan's words about the act are what there is to offer,
    as "robbers" finds "robbery" (a stem the content's extends)."""
    pairs = [("kidnappers", "kidnapping"), ("robbers", "robbery")]
    done = run("ask", "--json", "--batch", "-",
               stdin="\n".join(q for pair in pairs for q in pair) + "\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    for people, act in zip(lines[::2], lines[1::2], strict=True):
        assert act["results"], act["query"]
        assert people["results"] and people["results"][0]["id"] == act["results"][0]["id"], (
            people["query"])


def _mentioned_in_passing(snapshot) -> list[str]:
    """Words that one approved line's text uses and nothing else in the content does:
    no title, alternate question or keyword of any entry, and no other entry's text."""
    from bot.matching.analysis import Analyzer, is_content, words

    analyzer = Analyzer(snapshot.synonyms)
    aids = [" ".join([e.title, e.topic or "", e.question or "", *e.questions, *e.keywords])
            for e in snapshot.entries]
    texts = [" ".join([e.text, *e.supporting]) for e in snapshot.entries]
    found = []
    for number, text in enumerate(texts):
        for word in dict.fromkeys(words(text)):
            terms = set(analyzer.terms(word))
            if not is_content(word) or word.isdigit() or not terms:
                continue
            elsewhere = [t for n, t in enumerate(texts) if n != number] + aids
            if not any(terms & set(analyzer.terms(text)) for text in elsewhere):
                found.append(word)
    return found


def test_a_word_an_approved_line_only_mentions_in_passing_is_no_confident_answer(snapshot):
    """Asked about a word that one approved text uses on the way to something else
    ("hide behind a long list of aliases"), the bot may offer that line, but must not
    present it as the answer: the entry is not *about* it."""
    passing = _mentioned_in_passing(snapshot)
    assert len(passing) >= 10
    done = run("ask", "--json", "--batch", "-", stdin="\n".join(passing) + "\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["status"] for line in lines if line["status"] == "answer"] == [], [
        line["query"] for line in lines if line["status"] == "answer"]
    assert all(line["results"] for line in lines)  # still offered, as the nearest


def test_knowledge_dir_option_and_environment(knowledge_copy):
    (knowledge_copy / "ice-secure-communities-2009-04" / "qa.yaml").unlink()
    query = "why identify people who haven't been convicted"
    bundled = json.loads(run("ask", "--json", query).stdout)
    assert bundled["results"][0]["id"] == "qa-charged-not-convicted"
    for output in (run("ask", "--json", "--knowledge", str(knowledge_copy), query),
                   run("ask", "--json", query, env={"FACTS_KNOWLEDGE_DIR": str(knowledge_copy)})):
        ids = [r["id"] for r in json.loads(output.stdout)["results"]]
        assert "qa-charged-not-convicted" not in ids


def test_validate_exit_codes(knowledge_copy):
    good = run("validate", str(knowledge_copy))
    assert good.returncode == 0 and "OK, 28 entries" in good.stdout
    assert "Saturday" in good.stdout  # the weekday conflict is a warning, not an error
    qa = knowledge_copy / "ice-secure-communities-2009-04" / "qa.yaml"
    qa.write_text(qa.read_text().replace("kind: qa", "kind: [qa", 1))
    bad = run("validate", str(knowledge_copy))
    assert bad.returncode == 1
    assert "ice-secure-communities-2009-04/qa.yaml:" in bad.stderr
    assert "not valid YAML" in bad.stderr


def test_ask_on_broken_knowledge_names_the_problem(knowledge_copy):
    qa = knowledge_copy / "ice-secure-communities-2009-04" / "qa.yaml"
    qa.write_text(qa.read_text().replace("kind: qa", "kind: faq", 1))
    done = run("ask", "--knowledge", str(knowledge_copy), "anything")
    assert done.returncode == 1 and "'faq' is not a kind" in done.stderr


def test_racial_profiling_offers_the_profiling_sound_bite_and_says_so_in_plain_text():
    out = json.loads(run("ask", "--json", "racial", "profiling").stdout)
    assert out["status"] == "suggestions"
    assert "sb-color-blind" in [r["id"] for r in out["results"][:3]]
    plain = run("ask", "racial", "profiling").stdout
    assert "Several approved responses fit" in plain
    assert "No exact approved answer" not in plain
    assert "Secure Communities is a color blind system." in plain


def test_internal_notes_are_labelled_on_the_command_line():
    out = json.loads(run("ask", "--json", "BBC", "The", "World").stdout)
    top = out["results"][0]
    assert top["kind"] == "media_action" and top["internal"] is True
    assert "Internal: not for quoting" in run("ask", "BBC", "The", "World").stdout
    saying = json.loads(run("ask", "--json", "traffic", "offenses").stdout)["results"][0]
    assert saying["internal"] is False


# ---------------------------------------------------------------- what a command imports

SERVING_ONLY = ("slack_sdk", "slack_bolt", "aiohttp", "psycopg", "asyncio", "bot.slack",
                "bot.store", "bot.service.server", "bot.alerts", "bot.review")
# Needed only sometimes, so imported where they are needed: the English word list
# (a query with an unknown word), JSON (--json), the Word reader (a .docx source).
ONLY_WHEN_NEEDED = ("importlib.resources", "json", "gzip", "spellchecker", "zipfile", "docx",
                    "bot.content.importing.word",
                    # argparse's help sizing (shutil, with bz2 and lzma) and wrapping (textwrap),
                    # and threads (the content loader's lock needs only _thread).
                    "shutil", "bz2", "lzma", "textwrap", "threading",
                    "hashlib",  # the content version needs SHA-256 only, not OpenSSL
                    # dataclasses imports inspect (ast, dis, tokenize...) and compiles each
                    # class's methods: the core's value classes are records instead.
                    "dataclasses", "inspect", "ast", "dis", "tokenize",
                    "zoneinfo",  # a plan's time zone is found in tzdata's files
                    # options to parse: `ask WORDS` has none (bot.cli.parse)
                    "argparse", "gettext", "locale", "bot.cli.parser",
                    # a long question over a large index is scored in C (bot.matching.dense)
                    "numpy", "bot.matching.dense")


# What the console script runs, then every module loaded by the end, as the last line.
WRAPPER = """import sys
from bot.cli import main
try:
    sys.exit(main(sys.argv[1:]))
finally:
    print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""


def imported_modules(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `facts-bot ARGS` in a fresh interpreter: what it did, and the modules it loaded."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True,
                          text=True, timeout=60)
    return done, set(done.stderr.splitlines()[-1].split())


def test_ask_imports_only_what_asking_needs():
    done, modules = imported_modules("ask", "racial", "profiling")
    assert done.returncode == 0 and "Several approved responses fit" in done.stdout
    assert {"bot.cli.ask", "bot.matching", "bot.content"} <= modules  # it was measured
    heavy = sorted(m for m in modules if m.split(".")[0] in SERVING_ONLY
                   or m.startswith(SERVING_ONLY))
    assert heavy == []
    assert sorted(m for m in modules if m in ONLY_WHEN_NEEDED or m.startswith(
        tuple(f"{name}." for name in ONLY_WHEN_NEEDED))) == []


# As the console script runs it (main() reading sys.argv), reporting at exit, before the
# interpreter's final garbage collection, how many objects that collection will skip.
AT_EXIT = """import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count(), file=sys.stderr))
from bot.cli import main
sys.argv[0] = "facts-bot"
sys.exit(main())
"""


def frozen_at_exit(*args: str) -> int:
    done = subprocess.run([sys.executable, "-c", AT_EXIT, *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.split("frozen ")[-1])


def test_ask_leaves_without_the_collector_walking_its_content(tmp_path):
    """The final collection skips what ask built (about 20 ms of a run); only commands that
    print and nothing else do this, and never inside a caller's process."""
    import gc

    from bot.cli import main

    assert frozen_at_exit("ask", "racial", "profiling") > 10_000
    assert frozen_at_exit("validate") > 10_000
    draft = tmp_path / "draft.txt"
    draft.write_text("Secure Communities is a color blind system.\n", encoding="utf-8")
    assert frozen_at_exit("check", str(draft)) > 10_000
    # A command that writes files lets every finalizer run as usual.
    source = tmp_path / "plan.md"
    source.write_text("# Plan\n\n## Talking points\n\n- We are ready.\n", encoding="utf-8")
    assert frozen_at_exit("import", str(source), "--out", str(tmp_path / "out")) == 0
    before = gc.get_freeze_count()
    assert main(["ask", "racial", "profiling"]) == 0
    assert gc.get_freeze_count() == before


# As the console script runs it, noting each garbage collection: one that starts while the
# command line is set up, and for the others how many objects were hidden from it by then.
COLLECTIONS = """import gc, sys
setup, later = [], []
def note(phase, info):
    frame, names = sys._getframe(0).f_back, set()
    while frame is not None:
        names.add(frame.f_code.co_name)
        frame = frame.f_back
    if phase == "start" and "parse" in names:
        setup.append(info["generation"])
    elif phase == "start" and "_run" in names:
        later.append(gc.get_freeze_count())
gc.callbacks.append(note)
from bot.cli import main
sys.argv[0] = "facts-bot"
code = main()
print("setup", len(setup), "later", *later, file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("options", [(), ("--json", "--limit", "2")])
def test_ask_keeps_the_collector_off_its_modules(options):
    """Setting up the command imports its modules; no collection walks them, then or later
    (with options to parse too, which builds the argparse parser)."""
    done = subprocess.run([sys.executable, "-c", COLLECTIONS, "ask", *options, "racial",
                           "profiling"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    words = done.stderr.split("setup ")[-1].split()
    assert words[:2] == ["0", "later"]
    assert all(int(frozen) > 10_000 for frozen in words[2:])


@pytest.mark.parametrize("argv", [
    ["ask", "racial", "profiling"], ["ask"], ["ask", ""], ["ask", "how", "many?", "100%"],
    ["ask", "ask", "validate", "--"], ["ask", "--json", "x"], ["ask", "x", "--limit", "2"],
    ["ask", "-5", "degrees"], ["ask", "x", "-"], ["ask", "--", "-x"], ["ask", "--jso", "x"],
    ["ask", "x\ny", "émigré", "\udcff"], ["ask", "-x"], ["ask", "why", "-h"],
])
def test_a_plain_question_is_read_as_argparse_reads_it(argv, capsys):
    """`ask WORDS` skips argparse (bot.cli.parse); its namespace must be argparse's own,
    and what argparse refuses (or answers with help) still goes to argparse."""
    from bot.cli import parse
    from bot.cli.parser import parse_words

    try:
        expected = vars(parse_words(argv))
    except SystemExit as stopped:
        argparse_said = capsys.readouterr()
        with pytest.raises(SystemExit) as ours:
            parse(argv)
        assert ours.value.code == stopped.code and capsys.readouterr() == argparse_said
        return
    assert vars(parse(argv)) == expected


def test_help_lists_every_command_without_importing_them():
    from bot.cli import COMMANDS

    done, modules = imported_modules("--help")
    assert done.returncode == 0
    for name, (_, summary) in COMMANDS.items():
        assert any(line.split() == [name, *summary.split()] for line in
                   done.stdout.replace("\n" + " " * 24, " ").splitlines()), name
    assert not {module for module, _ in COMMANDS.values()} & modules
    typo = run("aks", "racial", "profiling")
    assert typo.returncode == 2 and "invalid choice: 'aks'" in typo.stderr
    assert "Traceback" not in typo.stderr


def test_help_is_as_wide_as_argparse_would_make_it(monkeypatch, capsys):
    """The CLI sizes help itself (not importing shutil); the text must be argparse's own."""
    import argparse

    import bot.cli
    import bot.cli.parser

    def help_text(*args: str) -> str:
        with contextlib.suppress(SystemExit):  # --help exits
            bot.cli.main([*args, "--help"])
        return capsys.readouterr().out

    for columns in ("40", "72", "200", "0", "wide", None):
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        for command in ((), ("ask",), ("log",)):
            ours = help_text(*command)
            with monkeypatch.context() as plain:
                plain.setattr(bot.cli.parser, "_HelpFormatter", argparse.HelpFormatter)
                assert ours == help_text(*command), (columns, command)
    whole = "knowledge directory (default: $FACTS_KNOWLEDGE_DIR or the bundled one)"
    monkeypatch.setenv("COLUMNS", "200")
    assert whole in help_text("ask")  # a wide terminal: one line
    monkeypatch.setenv("COLUMNS", "60")
    assert whole not in help_text("ask")  # a narrow one: wrapped


def test_answers_are_indented_as_textwrap_would():
    """ask indents without importing textwrap; the terminal text must not change."""
    import textwrap

    from bot.cli.ask import indent

    for text in ("one line", "a\n\n  b\n", "a\r\n \t\r\nb", "", "\n", "  - point\n  - two",
                 "x\x0bnot a line end for textwrap?\x0cy\u2028z"):
        for prefix in ("    ", "    Q: ", ""):
            assert indent(text, prefix) == textwrap.indent(text, prefix), (text, prefix)


def test_the_command_table_names_what_each_module_registers():
    """`--help` shows the table; each command's own module must agree with it."""
    import argparse
    import importlib

    from bot.cli import COMMANDS

    for module in {module for module, _ in COMMANDS.values()}:
        parser = argparse.ArgumentParser()
        commands = parser.add_subparsers()
        importlib.import_module(module).register(commands)
        registered = {action.dest: action.help for action in commands._choices_actions}
        assert registered == {name: summary for name, (where, summary) in COMMANDS.items()
                              if where == module}
