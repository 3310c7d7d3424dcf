"""The five scenarios; each is `run(context) -> list[Row]` and starts the emulator process it needs."""
