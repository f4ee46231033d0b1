"""The LINE adapter: Flask webhook, intent matcher, handlers, LINE client, jobs and CLI."""
