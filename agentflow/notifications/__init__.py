"""The notification centre: in-app notifications per member, mailed after commit by their preferences."""
