"""Event-level analysis: from the articles of one event to the parts of its report."""
