"""Reading extracts into the store."""
