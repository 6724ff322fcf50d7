import sys

from apps.drug_target.cli import main

sys.exit(main())
