import sys

from apps.text_classification.cli import main

sys.exit(main())
