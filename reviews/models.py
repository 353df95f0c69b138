"""Termly RAG ratings and the review cycle arrive here (see README, roadmap)."""
