"""``python -m mri_teach`` runs the command line."""

from mri_teach.cli import main

raise SystemExit(main())
