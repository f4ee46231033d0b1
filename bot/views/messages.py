"""Every reply view in one namespace: ``from bot.views import messages as views``.

The functions live in :mod:`bot.views.results` (an agency's results), :mod:`bot.views.measures`
(measures, tasks, reminders) and :mod:`bot.views.chat` (help, welcome, registration, clarifying
questions, errors); they all return a list of plain dicts in LINE Messaging API JSON, ready to
send (at most five; see :mod:`bot.views.limits`).
"""

from __future__ import annotations

from bot.views.actions import Choice, quick_reply_items
from bot.views.chat import (
    apology_messages,
    clarify_messages,
    greeting_messages,
    group_welcome_messages,
    help_messages,
    needs_registration_messages,
    no_data_messages,
    non_text_messages,
    private_in_group_messages,
    register_failed_messages,
    register_help_messages,
    register_in_group_messages,
    registered_messages,
    unknown_messages,
    welcome_messages,
)
from bot.views.common import Message, flex_message, text_message
from bot.views.measures import (
    checkpoint_done_messages,
    measures_messages,
    my_tasks_messages,
    no_measures_messages,
    no_tasks_messages,
    overdue_summary_messages,
    progress_prompt_messages,
    progress_saved_messages,
    reminder_messages,
    snoozed_messages,
    task_not_found_messages,
)
from bot.views.results import (
    choose_indicator_messages,
    compare_messages,
    indicator_messages,
    overall_messages,
    question_messages,
    ranking_messages,
    recommendations_messages,
    result_notification_messages,
    strengths_messages,
    tool_messages,
    trend_messages,
    weaknesses_messages,
)

__all__ = [
    "Choice",
    "Message",
    "apology_messages",
    "checkpoint_done_messages",
    "choose_indicator_messages",
    "clarify_messages",
    "compare_messages",
    "flex_message",
    "greeting_messages",
    "group_welcome_messages",
    "help_messages",
    "indicator_messages",
    "measures_messages",
    "my_tasks_messages",
    "needs_registration_messages",
    "no_data_messages",
    "no_measures_messages",
    "no_tasks_messages",
    "non_text_messages",
    "overall_messages",
    "overdue_summary_messages",
    "private_in_group_messages",
    "progress_prompt_messages",
    "progress_saved_messages",
    "question_messages",
    "quick_reply_items",
    "ranking_messages",
    "recommendations_messages",
    "register_failed_messages",
    "register_help_messages",
    "register_in_group_messages",
    "registered_messages",
    "reminder_messages",
    "result_notification_messages",
    "snoozed_messages",
    "strengths_messages",
    "task_not_found_messages",
    "text_message",
    "tool_messages",
    "trend_messages",
    "unknown_messages",
    "weaknesses_messages",
    "welcome_messages",
]
