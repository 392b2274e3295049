"""What both sides of the engine agree on about step events."""

# The store NOTIFYs this channel with every event it writes; the API's EventHub LISTENs on it.
EVENTS_CHANNEL = "agentflow_events"
