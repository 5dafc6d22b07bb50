"""``python -m learningcity`` runs the command-line interface."""

from learningcity.cli import main

raise SystemExit(main())
