"""The reply layer: flex templates in ``templates/flex`` filled from ``ita_core`` results.

Handlers call the functions of :mod:`bot.views.messages` and send what they return (plain dicts in
LINE Messaging API JSON). :func:`bot.views.limits.check_messages` checks a reply against LINE's
limits; :func:`bot.views.render.warm` compiles every template at start-up.
"""
