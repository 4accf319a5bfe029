"""Reading the inputs: settings table, coverage data, test results, git diff, registers."""
