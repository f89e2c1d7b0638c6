"""FETCH: the polite HTTP client every source kind fetches through."""
