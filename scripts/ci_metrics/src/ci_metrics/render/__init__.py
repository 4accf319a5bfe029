"""Rendering: the comment and step summary, line annotations, workflow outputs."""
