"""What both sides of the engine agree on about step events."""

# The store NOTIFYs this channel with every event it writes; the API's EventHub LISTENs on it.
EVENTS_CHANNEL = "agentflow_events"

# The API NOTIFYs this channel when a fast-lane execution is queued (new or retried); every worker's fast
# lane LISTENs on it and claims (engine/worker/fast_lane.py). The lane also polls, so a lost wake-up only
# delays an execution by its poll interval.
FAST_LANE_CHANNEL = "agentflow_fast_lane"
