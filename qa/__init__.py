"""Quality checks: flags on words, lines and alignment links, for reviewers."""
