"""What ci-metrics' tests build: sample projects, contexts, snapshots, a fake GitHub."""
