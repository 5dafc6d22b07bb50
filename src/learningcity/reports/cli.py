"""``learningcity report`` (placeholder while the runner is written)."""


def add_parser(subparsers):  # pragma: no cover - replaced by the runner
    return None
