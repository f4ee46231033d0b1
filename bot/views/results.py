"""Views of an agency's results: overall, indicator, tool, item, compare, trend, strengths,
weaknesses, recommendations, ranking, and the push that announces new results.

Each function prepares the values a template shows (texts, colours, bar widths, postback actions)
and renders ``templates/flex/<name>.json.j2``. Every answer carries its key follow-ups as footer
buttons (LINE for PC shows no quick replies) and a meaningful ``altText``; quick replies are added
where they save typing. ``public=True`` (group chats) leaves out follow-ups that need a linked
account (measures, my tasks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bot.views import style
from bot.views.actions import Choice, postback_action
from bot.views.common import Message, buttons, flex_message, follow_ups, help_choice, quick, text_message
from bot.views.context import (
    AdviceBubble,
    CompareRow,
    Focus,
    Group,
    Header,
    IndicatorsBubble,
    Line,
    RankRow,
    Row,
    ToolBubble,
)
from bot.views.format import (
    bar_percent,
    change_mark,
    change_phrase,
    number_text,
    question_label,
    score_text,
    short_agency_name,
)
from bot.views.limits import CAROUSEL_MAX_BUBBLES, CAROUSEL_MAX_BYTES, json_size
from bot.views.render import parse_flex, render_flex, render_flex_text
from ita_core.analysis import DOWN, SAME, UP, AgencyYear, Analysis, Change, Comparison, Trend
from ita_core.framework import TOOLS, Framework, framework_years, get_framework, normalize_question_code
from ita_core.ranking import Rank
from ita_core.recommendations import Recommendation
from ita_core.scoring import NATIONAL_TARGET, tool_label

RECOMMENDATION_BUBBLES_MAX = 10
LIST_ITEMS_MAX = 6  # item rows in an indicator or weaknesses bubble
NO_INDICATORS = "ไม่มีคะแนนรายตัวชี้วัดของปีนี้"

def overall_messages(
    result: AgencyYear, analysis: Analysis, previous: Comparison | None = None, *, public: bool = False
) -> list[Message]:
    """The overall result of a year: score, level, target, tools, what to fix, and the ten indicators."""
    framework = get_framework(result.year)
    target = analysis.target
    overall_change = previous.overall if previous else None
    tool_changes = {c.key: c for c in previous.tools} if previous else {}
    indicator_changes = _indicator_changes(previous)

    change_line = None
    if previous and overall_change and overall_change.direction:
        before = previous.before
        level = f" {before.level}" if before.level else ""
        change_line = Line(
            f"{change_mark(overall_change)} จากปี {before.year} ({score_text(before.overall)}{level})",
            style.change_colour(overall_change.direction),
        )
    tools = []
    for tool in TOOLS:
        if tool not in result.tools:
            continue
        label = analysis.tool_labels.get(tool)
        note = framework.tool_names[tool]
        if tool == "EIT" and result.eit_parts:
            note += " · " + " · ".join(f"{part} {score_text(score)}" for part, score in sorted(result.eit_parts.items()))
        tools.append(
            _row(
                f"{tool} · {label}" if label else tool,
                result.tools[tool],
                target,
                change=tool_changes.get(tool),
                note=note,
                choice=Choice.of(f"ดู {tool}", "tool_score", tool=tool, year=result.year),
            )
        )
    if previous:
        third = Choice.of(f"เทียบกับปี {previous.before.year}", "compare_years", year=previous.before.year, compare_year=result.year)
    else:
        third = Choice.of("แนวโน้มหลายปี", "trend")
    context = {
        "header": _header("ผลการประเมิน ITA", result),
        "score": score_text(result.overall),
        "score_colour": style.score_colour(result.overall, target),
        "level": result.level,
        "level_colour": style.level_colour(result.level),
        "change": change_line,
        "targets": _target_lines(result.overall, target),
        "tools": tools,
        "focus": _focus(analysis),
        "buttons": buttons(
            [
                Choice.of("ดูจุดอ่อน", "weaknesses", year=result.year),
                Choice.of("ข้อเสนอแนะ", "recommendations", year=result.year),
                third,
            ]
        ),
        "indicators": _indicator_bubble(result, framework, target, indicator_changes) if result.indicators else None,
    }
    alt = f"ITA {result.year} {short_agency_name(result.agency_name)}: "
    if result.overall is None:
        alt += "ยังไม่มีคะแนนรวม"
    else:
        alt += f"{score_text(result.overall)} คะแนน{_level_phrase(result.level)}"
        phrase = change_phrase(overall_change)
        if phrase:
            alt += f" ({phrase})"
    if analysis.weaknesses:
        alt += " ต่ำกว่าเป้าหมาย: " + ", ".join(f"ตัวชี้วัดที่ {w.number} {score_text(w.score)}" for w in analysis.weaknesses[:3])
    exclude = {"overall_score"}
    return [flex_message(alt, render_flex("overall", context), _next(result.year, previous, public=public, exclude=exclude))]


def indicator_messages(
    result: AgencyYear,
    indicator: int,
    analysis: Analysis | None = None,
    recommendations: Sequence[Recommendation] = (),
    previous: Comparison | None = None,
    *,
    sub_indicator: str | None = None,
    public: bool = False,
) -> list[Message]:
    """One indicator (or a sub-indicator such as 9.2): score, target, change, its items, top advice.

    The target is ``analysis.target`` (else the agency's own, else 85); ``recommendations`` are
    shown as they come (the first three).
    """
    framework = get_framework(result.year)
    goal = analysis.target if analysis is not None else result.target
    try:
        info = framework.indicator(indicator)
    except KeyError:
        return [text_message(f"ไม่มีตัวชี้วัดที่ {indicator} ในปี {result.year} (มีตัวชี้วัดที่ 1–10)", _next(result.year, previous, public=public))]
    sub = None
    if sub_indicator is not None:
        sub = next((s for s in info.sub_indicators if s.code == sub_indicator), None)
    before = previous.before if previous else None
    if sub is not None:
        score = result.sub_indicators.get(sub.code)
        change = _change(before.sub_indicators.get(sub.code) if before else None, score)
        name = f"{sub.code} {sub.name}"
        title = f"ตัวชี้วัดย่อย {sub.code} · ตัวชี้วัดที่ {info.number} {info.name}"
        codes = sub.questions
        subs: list[Row] = []
    else:
        score = result.indicators.get(indicator)
        change = _change(before.indicators.get(indicator) if before else None, score)
        name = info.name
        title = f"ตัวชี้วัดที่ {info.number} · {info.tool}"
        codes = tuple(q.code for q in framework.indicator_questions(indicator))
        subs = [
            _row(
                f"{s.code} {s.name}",
                result.sub_indicators[s.code],
                goal,
                change=_change(before.sub_indicators.get(s.code) if before else None, result.sub_indicators[s.code]),
                choice=Choice.of(f"ดู {s.code}", "indicator_score", indicator=indicator, sub_indicator=s.code, year=result.year),
            )
            for s in info.sub_indicators
            if s.code in result.sub_indicators
        ]
    items = _item_rows(result, framework, codes, goal, before)
    context = {
        "header": _header(title, result),
        "name": name,
        "score": score_text(score),
        "score_colour": style.score_colour(score, goal),
        "width": bar_percent(score),
        "status": _status_line(score, goal),
        "change": _change_line(change, before.year if before else None),
        "subs": subs,
        "items": items,
        "items_title": _items_title(items, len(codes)),
        "advice": _advice_lines(recommendations),
        "buttons": buttons(
            [
                Choice.of(
                    "ข้อเสนอแนะ", "recommendations", indicator=indicator, year=result.year,
                    display=f"ข้อเสนอแนะตัวชี้วัดที่ {indicator}",
                ),
                Choice.of(f"ดูเครื่องมือ {info.tool}", "tool_score", tool=info.tool, year=result.year),
                Choice.of("ภาพรวม", "overall_score", year=result.year, display=f"ผล ITA ปี {result.year}"),
            ]
        ),
    }
    label = f"ตัวชี้วัดย่อย {name}" if sub is not None else f"ตัวชี้วัดที่ {indicator} {name}"
    alt = f"ITA {result.year} {short_agency_name(result.agency_name)} {label}: {_score_phrase(score)}"
    phrase = change_phrase(change)
    if phrase:
        alt += f" ({phrase})"
    replies = quick(
        [
            Choice.of(f"ตัวชี้วัดที่ {n}", "indicator_score", indicator=n, year=result.year)
            for n in sorted(result.indicators)
            if n != indicator
        ],
        [help_choice()],
    )
    return [flex_message(alt, render_flex("indicator", context), replies)]


def tool_messages(
    result: AgencyYear,
    tool: str | None = None,
    previous: Comparison | None = None,
    *,
    target: Decimal | None = None,
    public: bool = False,
) -> list[Message]:
    """One tool (IIT, EIT, OIT) with its indicators; all three as a carousel when ``tool`` is None."""
    framework = get_framework(result.year)
    goal = target if target is not None else result.target
    wanted = [t for t in TOOLS if tool is None or t == tool.upper()]
    tool_changes = {c.key: c for c in previous.tools} if previous else {}
    indicator_changes = _indicator_changes(previous)
    bubbles = []
    for name in wanted:
        score = result.tools.get(name)
        change = tool_changes.get(name)
        parts = []
        if name == "EIT":
            parts = [
                _row(f"{part} · {framework.eit_part_names.get(part[-1], '')}".rstrip(" ·"), value, goal)
                for part, value in sorted(result.eit_parts.items())
            ]
        bubbles.append(
            ToolBubble(
                header=_header(f"เครื่องมือ {name} · น้ำหนัก {_percent(framework.weights[name])}", result),
                name=framework.tool_names[name],
                score=score_text(score),
                score_colour=style.score_colour(score, goal),
                width=bar_percent(score),
                label=tool_label(score) if score is not None else None,
                status=_status_line(score, goal),
                change=_change_line(change, previous.before.year if previous else None),
                parts=parts,
                rows=[_indicator_row(result, framework, n, goal, indicator_changes) for n in framework.tool_indicators(name)],
                buttons=buttons(
                    [
                        Choice.of(f"ข้อเสนอแนะ {name}", "recommendations", tool=name, year=result.year),
                        Choice.of("ภาพรวม", "overall_score", year=result.year, display=f"ผล ITA ปี {result.year}"),
                    ]
                ),
            )
        )
    summary = ", ".join(f"{name} {_score_phrase(result.tools.get(name))}" for name in wanted)
    alt = f"ITA {result.year} {short_agency_name(result.agency_name)}: {summary}"
    if len(wanted) == 1:
        phrase = change_phrase(tool_changes.get(wanted[0]))
        if phrase:
            alt += f" ({phrase})"
    replies = quick(
        [Choice.of(t, "tool_score", tool=t, year=result.year) for t in TOOLS if t not in wanted],
        _next(result.year, previous, public=public, exclude={"tool_score"}),
    )
    return [flex_message(alt, render_flex("tool", {"bubbles": bubbles}), replies)]


def question_messages(
    result: AgencyYear,
    question: str,
    previous: Comparison | None = None,
    recommendations: Sequence[Recommendation] = (),
    *,
    public: bool = False,
) -> list[Message]:
    """One assessment item: its wording (where known), score, change, and advice."""
    framework = get_framework(result.year)
    code = normalize_question_code(question)
    item = framework.questions.get(code) if code else None
    if code is None or item is None:
        return [
            text_message(
                f"ไม่พบข้อ {question} ในแบบประเมินปี {result.year} ลองพิมพ์รหัสข้อ เช่น i1, e5, o12",
                _next(result.year, previous, public=public),
            )
        ]
    score = result.items.get(code)
    before = previous.before.items.get(code) if previous else None
    change = _change(before, score)
    indicator = framework.indicator(item.indicator)
    sub = None
    if item.sub_indicator:
        sub = next((s for s in indicator.sub_indicators if s.code == item.sub_indicator), None)
    context = {
        "header": _header(f"ข้อ {question_label(code)} · ตัวชี้วัดที่ {indicator.number} {indicator.name}", result),
        "title": item.title or f"ข้อ {question_label(code)}",
        "topic": None if item.title else _topic_line(item.topic),
        "sub": f"ตัวชี้วัดย่อย {sub.code} {sub.name}" if sub else None,
        "score": score_text(score),
        "score_colour": style.score_colour(score, result.target),
        "width": bar_percent(score),
        "status": _item_status(item.tool, score, result.target),
        "change": _change_line(change, previous.before.year if previous else None),
        "advice": _advice_lines(recommendations, steps=True),
        "buttons": buttons(
            [
                Choice.of(
                    "ข้อเสนอแนะข้อนี้", "recommendations", question=code, year=result.year,
                    display=f"ข้อเสนอแนะข้อ {question_label(code)}",
                ),
                Choice.of(f"ตัวชี้วัดที่ {indicator.number}", "indicator_score", indicator=indicator.number, year=result.year),
            ]
        ),
    }
    alt = f"ITA {result.year} {short_agency_name(result.agency_name)} ข้อ {question_label(code)}"
    alt += f": {score_text(score)} คะแนน" if score is not None else ": ไม่มีคะแนนรายข้อ"
    if item.title:
        alt += f" ({item.title})"
    return [flex_message(alt, render_flex("question", context), _next(result.year, previous, public=public))]


def compare_messages(comparison: Comparison, *, target: Decimal | None = None, public: bool = False) -> list[Message]:
    """Two years side by side: overall, level, tools and the ten indicators, with ▲▼."""
    before, after = comparison.before, comparison.after
    goal = target if target is not None else after.target
    counts = {d: sum(1 for c in comparison.indicators if c.direction == d) for d in (UP, DOWN, SAME)}
    summary = f"ตัวชี้วัด {UP} {counts[UP]} · {DOWN} {counts[DOWN]} · {SAME} {counts[SAME]}"
    level = None
    if before.level or after.level:
        level = f"ระดับ {before.level or '–'} → {after.level or '–'}"
    context = {
        "header": _header(f"เทียบผล ITA ปี {before.year} กับ {after.year}", after, subtitle=""),
        "years": [str(before.year), str(after.year)],
        "overall": _compare_row(comparison.overall, goal, "คะแนนรวม"),
        "level": level,
        "summary": summary,
        "tools": [_compare_row(c, goal, c.name) for c in comparison.tools if c.before is not None or c.after is not None],
        "indicators": [
            _compare_row(
                c, goal, f"{c.key} {c.name}",
                Choice.of(f"ตัวชี้วัดที่ {c.key}", "indicator_score", indicator=int(c.key), year=after.year),
            )
            for c in comparison.indicators
            if c.before is not None or c.after is not None
        ],
        "buttons": buttons(
            [
                Choice.of(f"จุดอ่อนปี {after.year}", "weaknesses", year=after.year),
                Choice.of("แนวโน้มหลายปี", "trend"),
                Choice.of(f"ข้อเสนอแนะปี {after.year}", "recommendations", year=after.year),
            ]
        ),
    }
    alt = (
        f"เทียบ ITA {before.year}–{after.year} {short_agency_name(after.agency_name)}: "
        f"{score_text(comparison.overall.before)} → {score_text(comparison.overall.after)}"
    )
    phrase = change_phrase(comparison.overall)
    if phrase:
        alt += f" ({phrase})"
    if comparison.declined:
        alt += " ลดลงมากสุด: " + ", ".join(f"ตัวชี้วัดที่ {c.key} {change_mark(c)}" for c in comparison.declined[:2])
    replies = _next(after.year, comparison, public=public, exclude={"compare_years"})
    return [flex_message(alt, render_flex("compare", context), replies)]


def trend_messages(trend: Trend, *, target: Decimal | None = None, public: bool = False) -> list[Message]:
    """Results over the years: one bar per year with its change, the best year and the direction."""
    goal = target if target is not None else NATIONAL_TARGET
    points = trend.points
    rows = []
    for index, point in enumerate(points):
        change = trend.changes[index - 1] if index > 0 and index - 1 < len(trend.changes) else None
        tools = " · ".join(f"{t} {score_text(point.tools[t])}" for t in TOOLS if t in point.tools)
        rows.append(
            _row(
                f"ปี {point.year}" + (f" · {point.level}" if point.level else ""),
                point.overall,
                goal,
                change=change,
                note=tools or None,
                choice=Choice.of(f"ผลปี {point.year}", "overall_score", year=point.year),
            )
        )
    first, last = (points[0].year, points[-1].year) if points else (None, None)
    best = trend.best
    lines = []
    if trend.direction and len(points) > 1:
        total = _change(points[0].overall, points[-1].overall)
        lines.append(Line(f"ภาพรวม {first}→{last}: {change_phrase(total)}", style.change_colour(trend.direction)))
    if best is not None and len(points) > 1:
        lines.append(Line(f"สูงสุด: ปี {best.year} ({score_text(best.overall)} คะแนน)", style.TEXT))
    footer: list[Choice] = []
    if len(points) > 1:
        footer.append(Choice.of(f"เทียบ {points[-2].year} กับ {last}", "compare_years", year=points[-2].year, compare_year=last))
    if last is not None:
        footer.append(Choice.of(f"ผลปี {last}", "overall_score", year=last))
    context = {
        "header": Header("แนวโน้มผล ITA", trend.agency_name, f"ปี {first}–{last}" if points else ""),
        "lines": lines,
        "rows": rows,
        "buttons": buttons(footer),
    }
    alt = f"แนวโน้ม ITA {short_agency_name(trend.agency_name)}"
    if points:
        alt += f" {first}–{last}: " + ", ".join(f"{p.year} {score_text(p.overall)}" for p in points)
        if trend.direction:
            alt += f" ({trend.direction})"
    return [flex_message(alt, render_flex("trend", context), _next(last, None, public=public, exclude={"trend"}))]


def strengths_messages(analysis: Analysis, *, public: bool = False) -> list[Message]:
    """Indicators at or above the target, best first, and the tools that earned a label."""
    result, target = analysis.result, analysis.target
    rows = [
        _row(
            f"{s.number} {s.name}",
            s.score,
            target,
            note=f"สูงกว่าเป้าหมาย {score_text(s.gap)}" if s.gap > 0 else "เท่ากับเป้าหมาย",
            note_colour=style.GOOD_GREEN,
            choice=Choice.of(f"ตัวชี้วัดที่ {s.number}", "indicator_score", indicator=s.number, year=result.year),
        )
        for s in analysis.strengths
    ]
    labelled = [f"{t} {label}" for t, label in analysis.tool_labels.items() if label]
    context = {
        "header": _header(f"จุดแข็ง · ตั้งแต่ {number_text(target)} คะแนนขึ้นไป", result),
        "summary": (
            f"ถึงเป้าหมาย {len(rows)} จาก {len(result.indicators)} ตัวชี้วัด"
            if rows
            else f"ยังไม่มีตัวชี้วัดที่ถึง {number_text(target)} คะแนน"
            if result.indicators
            else NO_INDICATORS
        ),
        "tools": "เครื่องมือ: " + " · ".join(labelled) if labelled else None,
        "rows": rows,
        "buttons": buttons(
            [
                Choice.of("ดูจุดอ่อน", "weaknesses", year=result.year),
                Choice.of("ข้อเสนอแนะ", "recommendations", year=result.year),
            ]
        ),
    }
    alt = f"จุดแข็ง ITA {result.year} {short_agency_name(result.agency_name)}: {context['summary']}"
    if analysis.strengths:
        alt += " — " + ", ".join(f"{s.number} {s.name} {score_text(s.score)}" for s in analysis.strengths[:3])
    replies = _next(result.year, None, public=public, exclude={"strengths"})
    return [flex_message(alt, render_flex("strengths", context), replies)]


def weaknesses_messages(analysis: Analysis, *, public: bool = False) -> list[Message]:
    """Indicators below the target (``analysis.target``), worst first, with the lowest items and OIT gaps."""
    result, target = analysis.result, analysis.target
    framework = get_framework(result.year)
    rows = [
        _row(
            f"{w.number} {w.name}",
            w.score,
            target,
            note=f"ต่ำกว่าเป้าหมาย {score_text(-w.gap)}",
            note_colour=style.BELOW_RED,
            choice=Choice.of(f"ตัวชี้วัดที่ {w.number}", "indicator_score", indicator=w.number, year=result.year),
        )
        for w in analysis.weaknesses
    ]
    items = [
        _row(
            _item_text(i.code, i.title, framework),
            i.score,
            target,
            max_lines=2,
            choice=Choice.of(f"ข้อ {question_label(i.code)}", "question_score", question=i.code, year=result.year),
        )
        for i in analysis.lowest_items[:LIST_ITEMS_MAX]
    ]
    oit = []
    if analysis.oit_zero:
        oit.append(Line("ข้อ OIT ที่ได้ 0 คะแนน: " + ", ".join(question_label(i.code) for i in analysis.oit_zero), style.BELOW_RED))
    if analysis.oit_half:
        oit.append(Line("ข้อ OIT ที่ได้คะแนนบางส่วน (50): " + ", ".join(question_label(i.code) for i in analysis.oit_half), style.NEAR_ORANGE))
    threshold = number_text(target)
    footer = [Choice.of("ข้อเสนอแนะ", "recommendations", year=result.year)]
    if analysis.weaknesses:
        worst = analysis.weaknesses[0]
        footer.append(Choice.of(f"ดูตัวชี้วัดที่ {worst.number}", "indicator_score", indicator=worst.number, year=result.year))
    footer.append(Choice.of("ดูจุดแข็ง", "strengths", year=result.year))
    context = {
        "header": _header(f"จุดที่ต่ำกว่าเป้าหมาย {threshold} คะแนน", result),
        "summary": (
            f"ต่ำกว่า {threshold} คะแนน {len(rows)} ตัวชี้วัด"
            if rows
            else f"ทุกตัวชี้วัดได้ตั้งแต่ {threshold} คะแนนขึ้นไป"
            if result.indicators
            else NO_INDICATORS
        ),
        "summary_colour": style.BELOW_RED if rows else style.GOOD_GREEN if result.indicators else style.MUTED,
        "rows": rows,
        "items": items,
        "oit": oit,
        "buttons": buttons(footer),
    }
    alt = f"จุดอ่อน ITA {result.year} {short_agency_name(result.agency_name)}: {context['summary']}"
    if analysis.weaknesses:
        alt += " — " + ", ".join(f"{w.number} {w.name} {score_text(w.score)}" for w in analysis.weaknesses[:4])
    replies = quick(
        [
            Choice.of(f"ตัวชี้วัดที่ {w.number}", "indicator_score", indicator=w.number, year=result.year)
            for w in analysis.weaknesses[:4]
        ],
        [
            Choice.of(f"ต่ำกว่า {t}", "weaknesses", threshold=t, year=result.year)
            for t in ("85", "90", "95")
            if Decimal(t) != target
        ],
        _next(result.year, None, public=public, exclude={"weaknesses"}),
    )
    return [flex_message(alt, render_flex("weaknesses", context), replies)]


def recommendations_messages(
    result: AgencyYear,
    recommendations: Sequence[Recommendation],
    *,
    indicator: int | None = None,
    tool: str | None = None,
    question: str | None = None,
    public: bool = False,
) -> list[Message]:
    """Advice, most needed first: one bubble each in a carousel (at most 10)."""
    framework = get_framework(result.year)
    focus = _focus_label(framework, indicator, tool, question)
    who = short_agency_name(result.agency_name)
    if not recommendations:
        about = f"สำหรับ{focus}" if focus else ""
        text = f"ยังไม่มีข้อเสนอแนะ{about}ของ{who} ปี {result.year}"
        return [text_message(text, _next(result.year, None, public=public, exclude={"recommendations"}))]
    shown = list(recommendations[:RECOMMENDATION_BUBBLES_MAX])
    bubbles = []
    for index, rec in enumerate(shown, start=1):
        label, colour = style.PRIORITY_STYLES.get(rec.priority, ("ข้อเสนอแนะ", style.PRIMARY))
        target_label, target_choice = _recommendation_target(framework, rec, result.year)
        bubbles.append(
            AdviceBubble(
                title=f"ข้อเสนอแนะ {index}/{len(shown)} · {who} ปี {result.year}",
                target=target_label,
                priority=label,
                priority_colour=colour,
                reason=rec.reason,
                text=rec.text,
                steps=[f"{n}. {step}" for n, step in enumerate(rec.action_steps, start=1)],
                buttons=buttons([target_choice] if target_choice else []),
            )
        )
    text = render_flex_text("recommendations", {"bubbles": bubbles})
    contents = parse_flex("recommendations", text)
    if len(text.encode()) > CAROUSEL_MAX_BYTES:  # the template's text is never smaller than the JSON
        contents = _fit_carousel(contents)
    alt = f"ข้อเสนอแนะ ITA {result.year} {who}" + (f" ({focus})" if focus else "") + ": " + " | ".join(
        f"{n}. {rec.text}" for n, rec in enumerate(shown[:3], start=1)
    )
    replies = _next(result.year, None, public=public, exclude={"recommendations"})
    return [flex_message(alt, contents, replies)]


def ranking_messages(rank: Rank, agency_name: str | None = None, *, public: bool = False) -> list[Message]:
    """Rank among peers (national, province, district or type), with the top of the table.

    Without ``agency_name`` the name comes from the table when the agency is in it.
    """
    if agency_name is None:
        agency_name = next((e.name for e in rank.top if e.code == rank.agency_code), "หน่วยงานของท่าน")
    scope = _scope_label(rank.scope, rank.scope_value)
    rows = [RankRow(str(e.rank), e.name, score_text(e.score), e.code == rank.agency_code) for e in rank.top]
    own_in_top = any(r.highlight for r in rows)
    context = {
        "header": Header(f"อันดับ ITA · {scope}", agency_name, f"ปีงบประมาณ พ.ศ. {rank.year}"),
        "rank": f"อันดับที่ {rank.rank:,}",
        "total": f"จาก {rank.total:,} หน่วยงาน",
        "score": f"{score_text(rank.score)} คะแนน",
        "rows": rows,
        "own": None if own_in_top else RankRow(str(rank.rank), agency_name, score_text(rank.score), True),
        "buttons": buttons(
            [
                Choice.of(_SCOPE_BUTTONS[s], "ranking", scope=s, year=rank.year)
                for s in ("province", "district", "type", "national")
                if s != rank.scope
            ]
        ),
    }
    alt = f"อันดับ ITA {rank.year} {short_agency_name(agency_name)}: ที่ {rank.rank:,} จาก {rank.total:,} หน่วยงาน {scope} ({score_text(rank.score)} คะแนน)"
    replies = quick(
        [Choice.of(_SCOPE_BUTTONS[s], "ranking", scope=s, year=rank.year) for s in _SCOPE_BUTTONS if s != rank.scope],
        _next(rank.year, None, public=public, exclude={"ranking"}),
    )
    return [flex_message(alt, render_flex("ranking", context), replies)]



# --- building blocks --------------------------------------------------------------------------

def _next(
    year: int | None, previous: Comparison | None, *, public: bool, exclude: frozenset[str] | set[str] = frozenset()
) -> list[Choice]:
    return follow_ups(year, previous.before.year if previous else None, public=public, exclude=exclude)


_SCOPE_BUTTONS = {"province": "อันดับในจังหวัด", "district": "อันดับในอำเภอ", "type": "อันดับประเภทเดียวกัน", "national": "อันดับทั่วประเทศ"}


def _header(title: str, result: AgencyYear, subtitle: str | None = None) -> Header:
    return Header(title, result.agency_name, f"ปีงบประมาณ พ.ศ. {result.year}" if subtitle is None else subtitle)


def _row(
    label: str,
    score: Decimal | None,
    target: Decimal,
    *,
    change: Change | None = None,
    note: str | None = None,
    note_colour: str | None = None,
    choice: Choice | None = None,
    max_lines: int | None = None,
) -> Row:
    """The values of one score row (label, number, bar, ▲▼, note, tap action)."""
    return Row(
        label=label,
        score=score_text(score),
        width=bar_percent(score),
        colour=style.score_colour(score, target),
        change=change_mark(change),
        change_colour=style.change_colour(change.direction if change else None),
        note=note,
        note_colour=note_colour,
        action=postback_action(choice) if choice else None,
        max_lines=max_lines,
    )


def _change(before: Decimal | None, after: Decimal | None) -> Change | None:
    if before is None or after is None:
        return None
    delta = after - before
    return Change("", "", before, after, delta, UP if delta > 0 else DOWN if delta < 0 else SAME)


def _indicator_changes(previous: Comparison | None) -> dict[int, Change]:
    return {int(c.key): c for c in previous.indicators} if previous else {}


def _score_phrase(score: Decimal | None) -> str:
    """"80.00 คะแนน", or "ไม่มีคะแนน" (for altText)."""
    return f"{score_text(score)} คะแนน" if score is not None else "ไม่มีคะแนน"


def _level_phrase(level: str | None) -> str:
    if not level:
        return ""
    return f" ระดับ {level}" if level.isascii() else f" ระดับ{level}"


def _percent(weight: Decimal) -> str:
    return f"{number_text(weight * 100)}%"


def _target_lines(overall: Decimal | None, target: Decimal) -> list[Line]:
    """Whether the overall score meets the national 85 (and the agency's own target when different)."""
    if overall is None:
        return [Line("ยังไม่มีคะแนนรวมของปีนี้", style.MUTED)]
    goals = [("เป้าหมายระดับชาติ", NATIONAL_TARGET)]
    if target != NATIONAL_TARGET:
        goals.append(("เป้าหมายของหน่วยงาน", target))
    lines = []
    for name, goal in goals:
        if overall >= goal:
            lines.append(Line(f"✓ ถึง{name} {number_text(goal)} คะแนน", style.GOOD_GREEN))
        else:
            lines.append(Line(f"✗ ต่ำกว่า{name} {number_text(goal)} คะแนน อยู่ {score_text(goal - overall)}", style.BELOW_RED))
    return lines


def _status_line(score: Decimal | None, target: Decimal) -> Line:
    if score is None:
        return Line("ไม่มีคะแนนของปีนี้", style.MUTED)
    if score >= target:
        return Line(f"✓ ถึงเป้าหมาย {number_text(target)} คะแนน", style.GOOD_GREEN)
    return Line(f"✗ ต่ำกว่าเป้าหมาย {number_text(target)} คะแนน อยู่ {score_text(target - score)}", style.BELOW_RED)


def _item_status(tool: str, score: Decimal | None, target: Decimal) -> Line:
    if tool != "OIT" or score is None:
        return _status_line(score, target)
    if score >= 100:
        return Line("✓ ได้คะแนนเต็ม", style.GOOD_GREEN)
    if score > 0:
        return Line("ได้คะแนนบางส่วน ควรเพิ่มข้อมูลให้ครบตามเกณฑ์", style.NEAR_ORANGE)
    return Line("✗ ไม่ได้คะแนน ต้องเผยแพร่ข้อมูลให้ครบตามเกณฑ์", style.BELOW_RED)


def _change_line(change: Change | None, before_year: int | None) -> Line | None:
    if change is None or change.direction is None or before_year is None:
        return None
    return Line(f"{change_mark(change)} จากปี {before_year} ({score_text(change.before)})", style.change_colour(change.direction))


def _topic_line(topic: str | None) -> str:
    if topic:
        return f"ไม่มีข้อความทางการของข้อนี้ในฐานข้อมูล · เรื่อง: {topic}"
    return "ไม่มีข้อความทางการของข้อนี้ในฐานข้อมูล"


def _item_text(code: str, title: str | None, framework: Framework) -> str:
    """"O12 <title>" for list rows; the topic (a paraphrase) where the official wording is unknown."""
    if title:
        return f"{question_label(code)} {title}"
    question = framework.questions.get(code)
    if question is not None and question.topic:
        return f"{question_label(code)} (เรื่อง{question.topic})"
    return question_label(code)


def _item_rows(
    result: AgencyYear, framework: Framework, codes: Sequence[str], target: Decimal, before: AgencyYear | None
) -> list[Row]:
    """Scored items of an indicator, lowest first (at most LIST_ITEMS_MAX)."""
    scored = sorted((result.items[c], index, c) for index, c in enumerate(codes) if c in result.items)
    return [
        _row(
            _item_text(code, framework.questions[code].title if code in framework.questions else None, framework),
            score,
            target,
            change=_change(before.items.get(code) if before else None, score),
            max_lines=2,
            choice=Choice.of(f"ข้อ {question_label(code)}", "question_score", question=code, year=result.year),
        )
        for score, _, code in scored[:LIST_ITEMS_MAX]
    ]


def _items_title(items: list[Row], known: int) -> str | None:
    if items:
        return "ข้อที่คะแนนต่ำสุด" if known > len(items) else "คะแนนรายข้อ"
    return "ไม่มีคะแนนรายข้อของปีนี้" if known else None


def _advice_lines(recommendations: Sequence[Recommendation], *, steps: bool = False, limit: int = 3) -> list[str]:
    lines = []
    for rec in recommendations[:limit]:
        lines.append(f"• {rec.text}")
        if steps:
            lines += [f"   – {step}" for step in rec.action_steps[:3]]
    return lines


def _indicator_row(
    result: AgencyYear, framework: Framework, number: int, target: Decimal, changes: Mapping[int, Change]
) -> Row:
    return _row(
        f"{number} {framework.indicator(number).name}",
        result.indicators.get(number),
        target,
        change=changes.get(number),
        choice=Choice.of(f"ตัวชี้วัดที่ {number}", "indicator_score", indicator=number, year=result.year),
    )


def _indicator_bubble(
    result: AgencyYear, framework: Framework, target: Decimal, changes: Mapping[int, Change]
) -> IndicatorsBubble:
    groups = []
    for tool in TOOLS:
        numbers = [n for n in framework.tool_indicators(tool) if n in result.indicators]
        if numbers:
            rows = [_indicator_row(result, framework, n, target, changes) for n in numbers]
            groups.append(Group(f"{tool} · {framework.tool_names[tool]}", rows))
    footer = buttons([Choice.of("ดูจุดแข็ง", "strengths", year=result.year), Choice.of("แนวโน้มหลายปี", "trend")])
    return IndicatorsBubble("คะแนนรายตัวชี้วัด", groups, "แตะตัวชี้วัดเพื่อดูรายละเอียด", footer)


def _focus(analysis: Analysis) -> Focus:
    """What the summary bubble points at: the weakest indicators, or that all meet the target."""
    target = number_text(analysis.target)
    lines = [
        Line(f"ตัวชี้วัดที่ {w.number} {w.name} {score_text(w.score)}", style.BELOW_RED)
        for w in analysis.weaknesses[:3]
    ]
    if len(analysis.weaknesses) > 3:
        lines.append(Line(f"และอีก {len(analysis.weaknesses) - 3} ตัวชี้วัด", style.MUTED))
    if analysis.oit_zero:
        codes = ", ".join(question_label(i.code) for i in analysis.oit_zero[:8])
        more = " …" if len(analysis.oit_zero) > 8 else ""
        lines.append(Line(f"ข้อ OIT ที่ได้ 0 คะแนน: {codes}{more}", style.BELOW_RED))
    if analysis.weaknesses:
        return Focus(f"ต่ำกว่าเป้าหมาย {target} คะแนน", lines)
    if not analysis.result.indicators:
        return Focus("รายตัวชี้วัด", [Line(NO_INDICATORS, style.MUTED)])
    return Focus("จุดเด่น", [Line(f"ทุกตัวชี้วัดได้ตั้งแต่ {target} คะแนนขึ้นไป", style.GOOD_GREEN), *lines])


def _compare_row(change: Change, target: Decimal, label: str, choice: Choice | None = None) -> CompareRow:
    return CompareRow(
        label=label,
        before=score_text(change.before),
        after=score_text(change.after),
        colour=style.score_colour(change.after, target),
        change=change_mark(change) or "–",
        change_colour=style.change_colour(change.direction),
        action=postback_action(choice) if choice else None,
    )


def _focus_label(framework: Framework, indicator: int | None, tool: str | None, question: str | None) -> str | None:
    if question:
        code = normalize_question_code(question)
        return f"ข้อ {question_label(code or question)}"
    if indicator is not None:
        try:
            return f"ตัวชี้วัดที่ {indicator} {framework.indicator(indicator).name}"
        except KeyError:
            return f"ตัวชี้วัดที่ {indicator}"
    if tool:
        return f"เครื่องมือ {tool.upper()}"
    return None


def _recommendation_target(framework: Framework, rec: Recommendation, year: int) -> tuple[str, Choice | None]:
    """A readable name of what the advice is for, and a button that shows it."""
    if rec.target_kind == "question":
        question = framework.questions.get(rec.target)
        label = _item_text(rec.target, question.title if question else None, framework)
        return label, Choice.of(f"ดูข้อ {question_label(rec.target)}", "question_score", question=rec.target, year=year)
    if rec.target_kind == "indicator" and rec.target.isdigit():
        number = int(rec.target)
        try:
            name = framework.indicator(number).name
        except KeyError:
            return f"ตัวชี้วัดที่ {number}", None
        return f"ตัวชี้วัดที่ {number} {name}", Choice.of(f"ดูตัวชี้วัดที่ {number}", "indicator_score", indicator=number, year=year)
    for tool in TOOLS:
        if rec.target_kind == "tool" and rec.target == tool:
            return f"{tool} {framework.tool_names[tool]}", Choice.of(f"ดู {tool}", "tool_score", tool=tool, year=year)
    return rec.target, None


def _scope_label(scope: str, value: str | None) -> str:
    if scope == "province":
        return f"จังหวัด{value}" if value else "ในจังหวัด"
    if scope == "district":
        return f"อำเภอ{value}" if value else "ในอำเภอ"
    if scope == "type":
        return f"ประเภท {value}" if value else "ประเภทเดียวกัน"
    return "ทั่วประเทศ"


def _fit_carousel(container: dict[str, Any]) -> dict[str, Any]:
    """Drop trailing bubbles until a carousel is within LINE's 12 bubbles and 50 KB."""
    bubbles = container.get("contents")
    if container.get("type") != "carousel" or not isinstance(bubbles, list):
        return container
    del bubbles[CAROUSEL_MAX_BUBBLES:]
    while len(bubbles) > 1 and json_size(container) > CAROUSEL_MAX_BYTES:
        bubbles.pop()
    return container



def choose_indicator_messages(year: int | None = None) -> list[Message]:
    """"Which indicator?": the ten indicators as tappable rows and quick replies."""
    framework = get_framework(year if year is not None else framework_years()[-1])
    rows = [
        Row(
            label=f"{ind.number} {ind.name}",
            score=ind.tool,
            width="100%",
            colour=style.PRIMARY,
            change="",
            change_colour=style.SAME_GREY,
            action=postback_action(Choice.of(f"ตัวชี้วัดที่ {ind.number}", "indicator_score", indicator=ind.number, year=year)),
        )
        for ind in framework.indicators
    ]
    context = {"title": "ต้องการดูตัวชี้วัดใด", "rows": rows}
    alt = "ต้องการดูตัวชี้วัดใด: " + ", ".join(f"{ind.number} {ind.name}" for ind in framework.indicators)
    replies = [
        Choice.of(f"ตัวชี้วัดที่ {ind.number}", "indicator_score", indicator=ind.number, year=year)
        for ind in framework.indicators
    ]
    return [flex_message(alt, render_flex("choose_indicator", context), [*replies, help_choice()])]


def result_notification_messages(
    result: AgencyYear, analysis: Analysis, previous: Comparison | None = None
) -> list[Message]:
    """The push when a year's results arrive: a one-line announcement, then the overall answer."""
    who = short_agency_name(result.agency_name)
    text = f"ผลการประเมิน ITA ปี {result.year} ของ{who}ออกแล้ว"
    if result.overall is not None:
        text += f": {score_text(result.overall)} คะแนน{_level_phrase(result.level)}"
    return [text_message(text), *overall_messages(result, analysis, previous)]
