"""The Telegram front end (python-telegram-bot 22): handlers grouped by command, one error
path, Telegram HTML through the `telegram` renderer flavour. It reaches data only through
`bot.core` services."""
