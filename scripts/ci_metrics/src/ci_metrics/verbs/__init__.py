"""The verbs, one module each: arguments, then ``run(args, ctx)``."""
