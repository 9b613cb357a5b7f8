"""Pure domain models: codes, disclosure records, headlines and their rules."""
