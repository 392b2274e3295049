"""Usage analytics: the daily rollup (usage_daily) and the figures the analytics endpoints answer."""
