"""Intent and event handlers, registered in one table each (see ``build_dispatcher``)."""
