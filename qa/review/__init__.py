"""Review rules that are not web: the lines and strips of scan a passage shows."""
