"""Jobs that push to LINE: result notifications and deadline reminders.

Jobs are plain functions taking a session and ``now``; they write to the outbox (committed by the
caller with the work) and the sender delivers it.
"""
