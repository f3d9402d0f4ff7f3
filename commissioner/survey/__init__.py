"""The partnership health survey: a versioned instrument of partnership principles, rounds per
collaboration answered through signed personal links or the API, results with each partner's
divergence from the rest, and the figures the early warning reads (docs/engagement.md)."""
