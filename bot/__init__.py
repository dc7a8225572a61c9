"""facts-bot: approved press-office language, served verbatim in Slack."""
