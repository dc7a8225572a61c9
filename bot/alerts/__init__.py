"""Event-day alerts: `plan` says what is due and what it says; `sender` posts it exactly once."""
