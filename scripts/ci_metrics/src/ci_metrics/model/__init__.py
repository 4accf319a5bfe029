"""The model and its analysis: snapshot, baseline, figures, diff coverage, gates, report."""
