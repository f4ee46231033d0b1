"""Thai intent matcher for the ITA bot: normalise, extract slots, score intents.

Pure Python and regex over normalised text; no network, no model files. See docs/nlu.md.
"""

from bot.nlu.lexicon import INTENTS, SLOTS, LexiconError
from bot.nlu.matcher import Alternative, IntentMatcher, MatchResult, get_matcher

__all__ = ["INTENTS", "SLOTS", "Alternative", "IntentMatcher", "LexiconError", "MatchResult", "get_matcher"]
