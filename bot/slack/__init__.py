"""Slack: the bolt app's wiring, the subcommands and buttons, Block Kit rendering, the Web API.

`app` connects /facts and the buttons to handlers grouped by what they do
(`asking`, `browsing`, `admin`, `buttons`), `recording` writes the log rows,
`render` builds the messages from core objects, `api` makes the Web API client.
"""
