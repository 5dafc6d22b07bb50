"""Parameterised report runs: papermill execution, HTML for planners, manifests."""
