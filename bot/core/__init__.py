"""Discord-free domain and services: developments, topics, briefs, digests."""
