"""The AI node: rendering its prompts, its four operations over the provider router, and its handler."""
