"""Fetching from the web: an SSRF-safe HTTP client."""
