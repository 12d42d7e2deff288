"""The recommendation's reasoning in sentences, from what analysis.recommend returns.

Plain text with the numbers; the use case page escapes it. Every sentence is written from the
Recommendation: which models qualified, ties and how they were broken, the pick's other
runtimes, slower and faster candidates and why the faster ones are out, what did not run.
"""

from __future__ import annotations

import re

from ...analysis import (
    NO_CANDIDATES,
    NO_CITED_ACCURACY,
    NO_FLOOR,
    NONE_MEETS_FLOOR,
    NOTHING_RAN_OK,
    RECOMMENDED,
    Alternative,
    Candidate,
    Recommendation,
    RuntimeTime,
)
from ...analysis.recommend import BELOW_FLOOR, DID_NOT_RUN, NO_CITED, TIE_ACCURACY, TIE_P90
from ...kb import UseCase
from ...results import THROUGHPUT
from ..shared.names import Names, status_words
from ..shared.numbers import format_accuracy, format_latency, format_rate, format_ratio
from ..shared.precision_words import misses_sentence, needs_sentences, pick_precision


class _Words:
    """The use case's wording and numbers, shared by every sentence of a reasoning."""

    def __init__(self, rec: Recommendation, names: Names):
        self.rec = rec
        self.names = names
        self.metric = rec.metric
        self.dataset = rec.dataset

    def acc(self, value: float | None) -> str:
        return format_accuracy(value, self.rec.accuracy_unit)

    @property
    def floor(self) -> str:
        op = "≥" if self.rec.higher_is_better else "≤"
        return f"{op} {self.acc(self.rec.floor)}"

    def not_eligible(self, c: Candidate) -> str:
        if c.accuracy is None:
            return f"it has no cited {self.metric} on {self.dataset}"
        return f"its cited {self.metric} of {self.acc(c.accuracy)} does not meet the floor"

    def who(self, c: Candidate) -> str:
        return f"{c.model_name} on {self.names.runtime(c.runtime)}"


def _reason_words(reason: str, names: Names) -> str:
    """A candidate's rows' reasons ("openvino failed: ...; opencv timeout: ...", as the
    ranking joins them) with each runtime and status in words."""
    runtimes = "|".join(re.escape(r) for r in sorted(names.runtimes, key=len, reverse=True))
    if not runtimes:
        return reason
    return re.sub(
        rf"(^|; )({runtimes}) ([a-z][a-z-]*)(?=:|;|$)",
        lambda m: f"{m.group(1)}{names.runtime(m.group(2))} {status_words(m.group(3))}",
        reason,
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _by_rate(rec: Recommendation) -> bool:
    return rec.scenario == THROUGHPUT


def _rate(c: Candidate) -> str:
    """'500 inferences per second (batch 4, 2 streams; single-stream median 5.00 ms)'."""
    how = f"batch {c.batch}, {c.streams} stream{'s' if c.streams != 1 else ''}"
    beside = f"; single-stream median {format_latency(c.p50)}" if c.p50 is not None else ""
    return f"{format_rate(c.inferences_per_s)} inferences per second ({how}{beside})"


def _figure(rec: Recommendation, c: Candidate) -> str:
    """What ranked the candidate, in its scenario's unit."""
    if _by_rate(rec):
        return f"{format_rate(c.inferences_per_s)} inferences per second"
    return format_latency(c.p50)


def _behind(rec: Recommendation, mine: Candidate | RuntimeTime) -> str:
    """How far a candidate or runtime is behind the pick, in the scenario that ranked it."""
    times = rec.times_behind(mine)
    if times == 1.0:
        return "same throughput" if _by_rate(rec) else "same median"
    return f"{format_ratio(times)} {'lower throughput' if _by_rate(rec) else 'slower'}"


def _verb(rec: Recommendation) -> str:
    return "has" if _by_rate(rec) else "is"


def scenario_sentence(rec: Recommendation) -> list[str]:
    """Which scenario ranked the machine, and why not the stated one where it differs."""
    if rec.scenario_fallback:
        text = (
            "The use case states the throughput scenario, but no throughput rows have been "
            "measured on this machine yet, so its candidates are ranked by single-stream "
            "latency here."
        )
        return [text]
    if _by_rate(rec):
        text = (
            "Ranked by throughput (inferences per second on all cores), the scenario the use "
            "case states; the single-stream median is given beside."
        )
        return [text]
    return []


def _latency_with_ci(c: Candidate) -> str:
    if c.scenario == THROUGHPUT:
        return _rate(c)
    text = f"{format_latency(c.p50)} median latency"
    if c.ci95_low is not None and c.ci95_high is not None:
        text += f" (95% CI {format_latency(c.ci95_low)} to {format_latency(c.ci95_high)})"
    return text


def alternative_note(rec: Recommendation, alt: Alternative, names: Names) -> str:
    """One sentence on a candidate that was not recommended, with its numbers."""
    words, c, pick = _Words(rec, names), alt.candidate, rec.pick
    if alt.verdict == DID_NOT_RUN:
        if c.status == "not-benchmarked":
            why = f"not benchmarked: {(c.reason or '').rstrip('.')}"
        else:
            why = _reason_words(c.reason, words.names) if c.reason else status_words(c.status)
        if c.meets_floor:
            why += f"; its cited {words.metric} of {words.acc(c.accuracy)} meets the floor"
        return f"{c.model_name} ({why})"
    if alt.verdict in (BELOW_FLOOR, NO_CITED):
        lead = f"is faster at {_figure(rec, c)}" if alt.faster else f"ran at {_figure(rec, c)}"
        return f"{words.who(c)} {lead}, but {words.not_eligible(c)}."
    assert pick is not None
    if c.speed == pick.speed:
        same = "throughput" if _by_rate(rec) else "median latency"
        return f"{words.who(c)} has the same {same} ({_figure(rec, c)})."
    return f"{words.who(c)} {_verb(rec)} {_behind(rec, c)} at {_figure(rec, c)}."


def _lead(words: _Words, rec: Recommendation, use_case: UseCase) -> list[str]:
    # The recommendation's heading names the machine; its label is too long for a sentence.
    name, label, pick = use_case.name, "this machine", rec.pick
    rows, ran, qualifying = rec.candidates, rec.ran, rec.qualifying
    if rec.outcome == NO_CANDIDATES:
        return [
            (
                f"The KB lists no candidate models for {name}, so there is nothing to compare "
                f"on {label}."
            )
        ]
    if rec.outcome == NOTHING_RAN_OK:
        return [
            (
                f"On {label}, none of the {len(rows)} candidate models for {name} ran "
                "successfully, so nothing is recommended."
            )
        ]
    if rec.outcome == NO_FLOOR:
        assert pick is not None
        return [
            (
                f"The KB sets no accuracy floor for {name}, so on {label} the recommendation is "
                f"simply the fastest candidate that ran: {words.who(pick)} at {_latency_with_ci(pick)}."
            ),
            f"Its cited {words.metric} on {words.dataset} is {words.acc(pick.accuracy)}."
            if pick.accuracy is not None
            else f"It has no cited {words.metric} on {words.dataset}.",
        ]
    if rec.outcome == NO_CITED_ACCURACY:
        return [
            (
                f"On {label}, {len(ran)} candidate model(s) for {name} ran, but none has a cited "
                f"{words.metric} on {words.dataset}, so none can be checked against the floor "
                "and nothing is recommended."
            )
        ]
    if rec.outcome == NONE_MEETS_FLOOR:
        return [
            (
                f"On {label}, none of the {len(ran)} candidate models for {name} that ran "
                f"successfully has a cited {words.metric} {words.floor} on {words.dataset}, so "
                "nothing is recommended for this machine."
            )
        ]
    assert rec.outcome == RECOMMENDED and pick is not None
    listing = _join([f"{c.model_name} ({words.acc(c.accuracy)})" for c in qualifying])
    verb = "has" if len(qualifying) == 1 else "have"
    return [
        (
            f"On {label}, {len(qualifying)} of the {len(rows)} candidate models for {name} "
            f"ran successfully and {verb} a cited {words.metric} {words.floor} on "
            f"{words.dataset}: {listing}."
        ),
        f"{words.who(pick)} "
        + ("has the highest throughput of them" if _by_rate(rec) else "is the fastest of them")
        + f" at {_latency_with_ci(pick)}.",
    ] + _tie_sentences(words, rec)


def _tie_sentences(words: _Words, rec: Recommendation) -> list[str]:
    pick = rec.pick
    assert pick is not None
    out = []
    for alt in rec.alternatives:
        c = alt.candidate
        if alt.tie_break is None:
            continue
        if alt.tie_break == TIE_ACCURACY:
            better = "higher" if rec.higher_is_better else "lower"
            why = (
                f"its cited {words.metric} is {better} ({words.acc(pick.accuracy)} against "
                f"{words.acc(c.accuracy)})"
            )
        elif alt.tie_break == TIE_P90:
            why = (
                f"its p90 latency is lower ({format_latency(pick.p90)} against "
                f"{format_latency(c.p90)})"
            )
        else:
            why = "of the alphabetical order of model ids, the last tie-break"
        same = "throughput" if _by_rate(rec) else "median latency"
        out.append(
            f"{words.who(c)} has the same {same}; {pick.model_name} is preferred because {why}."
        )
    return out


def _other_runtimes_sentence(rec: Recommendation, names: Names) -> list[str]:
    pick = rec.pick
    if pick is None or not rec.other_runtimes:
        return []
    parts = []
    for r in rec.other_runtimes:
        how = _behind(rec, r)
        if _by_rate(rec):
            parts.append(
                f"{names.runtime(r.runtime)} at {format_rate(r.inferences_per_s)} per second ({how})"
            )
            continue
        if r.p50 == pick.p50 and r.p90 is not None:
            # The ranking broke this tie on p90; say so, or the choice looks arbitrary.
            how += f", but a higher p90 of {format_latency(r.p90)} against "
            how += format_latency(pick.p90)
        parts.append(f"{names.runtime(r.runtime)} at {format_latency(r.p50)} ({how})")
    return [f"{pick.model_name} also ran on {_join(parts)}."]


def _slower_sentence(words: _Words, rec: Recommendation) -> list[str]:
    pick = rec.pick
    assert pick is not None
    which = "that meet the floor" if rec.outcome == RECOMMENDED else "that ran"
    parts = []
    for alt in rec.alternatives:
        c = alt.candidate
        if alt.verdict in (BELOW_FLOOR, NO_CITED, DID_NOT_RUN) or c.speed == pick.speed:
            continue
        part = f"{words.who(c)} {_verb(rec)} {_behind(rec, c)} at {_figure(rec, c)}"
        if alt.within_noise:
            part += (
                " (the 95% confidence intervals overlap, so this gap is within measurement noise)"
            )
        parts.append(part)
    return [f"Of the others {which}, {_join(parts)}."] if parts else []


def reasoning(rec: Recommendation, use_case: UseCase, names: Names) -> str:
    """Why the recommendation is what it is, in sentences with the numbers, models and
    runtimes by their names."""
    words = _Words(rec, names)
    sentences = _lead(words, rec, use_case)
    if rec.outcome != NO_CANDIDATES:  # with no candidate, nothing was ranked by either
        sentences = scenario_sentence(rec) + sentences
    if rec.pick is not None:
        sentences += pick_precision(rec) + needs_sentences(rec, names)
        sentences += _other_runtimes_sentence(rec, names) + _slower_sentence(words, rec)
    sentences += misses_sentence(rec, names)
    sentences += [
        alternative_note(rec, a, names)
        for a in rec.alternatives
        if a.verdict in (BELOW_FLOOR, NO_CITED)
    ]
    not_ran = [
        alternative_note(rec, a, names) for a in rec.alternatives if a.verdict == DID_NOT_RUN
    ]
    if not_ran:
        sentences.append("Without an ok run on this machine: " + "; ".join(not_ran) + ".")
    floor_cited = use_case.accuracy_floor
    if floor_cited is not None and rec.outcome != NO_CANDIDATES:
        sentences.append(f"The floor ({words.floor}) is from {floor_cited.source.title}.")
    return " ".join(sentences)
