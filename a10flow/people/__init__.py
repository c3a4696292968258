"""People: accounts, passwords and tokens, who may do what, and the log of refused attempts."""
