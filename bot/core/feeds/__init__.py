"""News feeds into a review queue: fetch, parse, classify, deduplicate, queue, review."""
