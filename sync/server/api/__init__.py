"""HTTP only: the app factory, typed dependencies, one module-level router per audience, error bodies."""
