"""Teams: named groups of org members."""
